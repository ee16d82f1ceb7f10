// The one check of what the trace area is given (spans, trace ids, list queries, map windows)
// against TRACE_LIMITS. Every Trace (memory, SQLite, the client) and the OTLP decoder call it before
// storing anything, so each gives the same 400, with id `trace`, naming the field. Texts and
// attribute values past their length are cut (as the interface says), attributes and events past
// their count dropped, but anything past the hard bounds (a value of 64 KiB, 1,024 attributes) is a
// 400: such a span is hostile or broken, not merely long.
import { printable } from '../../registry/printable.ts';
import { badRequest, type MicroError } from '../../runtime/errors.ts';
import { shownKey } from '../../runtime/server/closed.ts';
import type { SpanEvent, SpanKind, SpanRecord, SpanStatus, TraceQuery } from './trace.ts';

/** The id of the trace area's errors. */
export const TRACE_ID = 'trace';

/** Bounds of what a Trace takes. */
export const TRACE_LIMITS = {
  /** Spans in one write or export. */
  batch: 10_000,
  /** Attributes kept per span (and per event); more are dropped. */
  attributes: 64,
  /** Attributes a span may come with at all. */
  attributesHard: 1024,
  /** Characters kept of a text (name, message, attribute value); longer ones are cut. */
  text: 1000,
  /** Characters a text may come with at all. */
  textHard: 65_536,
  /** Events kept per span; more are dropped. */
  events: 32,
  /** Events a span may come with at all. */
  eventsHard: 1024,
  /** Traces a list returns by default. */
  list: 50,
  /** Traces a list returns at most. */
  listMax: 500,
} as const;

/** A 400 of the trace area. */
export const invalid = (detail: string): MicroError => badRequest(TRACE_ID, detail);

/** What a wrong value is, for messages. */
export function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string')
    return v.length > 40 ? 'a long string' : printable(JSON.stringify(v), false);
  if (typeof v === 'object') return 'an object';
  if (v === undefined) return 'missing';
  return typeof v === 'number' ? String(v) : `a ${typeof v}`;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const TRACE_HEX = /^[0-9a-f]{32}$/;
const SPAN_HEX = /^[0-9a-f]{16}$/;

/** A trace id: 32 lower-case hex digits, not all zero. */
export function checkTraceId(id: unknown, field = 'traceId'): string {
  if (typeof id !== 'string' || !TRACE_HEX.test(id) || /^0+$/.test(id))
    throw invalid(`${field} must be 32 lower-case hex digits, not all zero, not ${kind(id)}`);
  return id;
}

/** A span id: 16 lower-case hex digits, not all zero. */
export function checkSpanId(id: unknown, field = 'spanId'): string {
  if (typeof id !== 'string' || !SPAN_HEX.test(id) || /^0+$/.test(id))
    throw invalid(`${field} must be 16 lower-case hex digits, not all zero, not ${kind(id)}`);
  return id;
}

/** A text cut to TRACE_LIMITS.text; past textHard, or not a string, a 400. */
export function checkText(v: unknown, field: string, required = true): string {
  if (typeof v !== 'string') throw invalid(`${field} must be a string, not ${kind(v)}`);
  if (required && v.length === 0) throw invalid(`${field} must not be empty`);
  if (v.length > TRACE_LIMITS.textHard)
    throw invalid(`${field} is ${v.length} characters, over ${TRACE_LIMITS.textHard}`);
  return v.length > TRACE_LIMITS.text ? v.slice(0, TRACE_LIMITS.text) : v;
}

/** A time or duration in ms: a finite number, not negative. */
export function checkTime(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw invalid(`${field} must be a number of ms, not negative, not ${kind(v)}`);
  return v;
}

/** Ms a span may start ahead of this clock (another machine's clock may run ahead). */
const SKEW = 3_600_000;
/** The longest span kept: a week. */
const LONGEST = 7 * 86_400_000;

/** A span's start: a time, at most an hour ahead of now (else it would head the list for good). */
function checkStart(v: unknown, field: string): number {
  const start = checkTime(v, field);
  if (start > Date.now() + SKEW)
    throw invalid(`${field} is ${new Date(start).toISOString()}, more than an hour from now`);
  return start;
}

/** A span's duration: at most a week. */
function checkDuration(v: unknown, field: string): number {
  const ms = checkTime(v, field);
  if (ms > LONGEST) throw invalid(`${field} is ${ms} ms, over a week`);
  return ms;
}

/** Attributes as kept: at most TRACE_LIMITS.attributes, values cut; past the hard bounds a 400. */
export function checkAttributes(
  v: unknown,
  field: string,
): Record<string, string | number | boolean> {
  if (v === undefined) return {};
  if (!isRecord(v)) throw invalid(`${field} must be an object, not ${kind(v)}`);
  const keys = Object.keys(v);
  if (keys.length > TRACE_LIMITS.attributesHard)
    throw invalid(`${field} has ${keys.length} attributes, over ${TRACE_LIMITS.attributesHard}`);
  const out: Record<string, string | number | boolean> = {};
  for (const key of keys.slice(0, TRACE_LIMITS.attributes)) {
    const where = `${field}[${shownKey(key)}]`;
    checkText(key, `a key of ${field}`);
    const value = v[key];
    if (typeof value === 'string') out[key] = checkText(value, where, false);
    else if (typeof value === 'boolean') out[key] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
    else
      throw invalid(`${where} must be a string, a finite number or a boolean, not ${kind(value)}`);
  }
  return out;
}

const KINDS: readonly SpanKind[] = ['internal', 'server', 'client', 'producer', 'consumer'];
const STATUSES: readonly SpanStatus[] = ['unset', 'ok', 'error'];

/** A span's events: at most TRACE_LIMITS.events kept. */
function checkEvents(v: unknown, field: string): SpanEvent[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw invalid(`${field} must be an array, not ${kind(v)}`);
  if (v.length > TRACE_LIMITS.eventsHard)
    throw invalid(`${field} has ${v.length} events, over ${TRACE_LIMITS.eventsHard}`);
  return v.slice(0, TRACE_LIMITS.events).map((e: unknown, i) => {
    const where = `${field}[${i}]`;
    if (!isRecord(e)) throw invalid(`${where} must be an object, not ${kind(e)}`);
    const attributes = checkAttributes(e.attributes, `${where}.attributes`);
    return {
      time: checkTime(e.time, `${where}.time`),
      name: checkText(e.name, `${where}.name`),
      ...(Object.keys(attributes).length > 0 && { attributes }),
    };
  });
}

const FIELDS = new Set([
  'traceId',
  'spanId',
  'parentSpanId',
  'name',
  'kind',
  'service',
  'endpoint',
  'start',
  'duration',
  'status',
  'code',
  'message',
  'attributes',
  'events',
]);

/** One span as given to write, checked and cut to the limits; `field` names it in a 400. */
export function checkSpan(v: unknown, field = 'span'): SpanRecord {
  if (!isRecord(v)) throw invalid(`${field} must be an object, not ${kind(v)}`);
  for (const key of Object.keys(v))
    if (!FIELDS.has(key)) throw invalid(`${shownKey(key)} is not a field of ${field}`);
  if (!KINDS.includes(v.kind as SpanKind))
    throw invalid(`${field}.kind must be one of ${KINDS.join(', ')}, not ${kind(v.kind)}`);
  if (!STATUSES.includes(v.status as SpanStatus))
    throw invalid(`${field}.status must be one of ${STATUSES.join(', ')}, not ${kind(v.status)}`);
  if (v.code !== undefined && (!Number.isInteger(v.code) || (v.code as number) < 0))
    throw invalid(`${field}.code must be a whole number, not ${kind(v.code)}`);
  const events = checkEvents(v.events, `${field}.events`);
  return {
    traceId: checkTraceId(v.traceId, `${field}.traceId`),
    spanId: checkSpanId(v.spanId, `${field}.spanId`),
    ...(v.parentSpanId !== undefined && {
      parentSpanId: checkSpanId(v.parentSpanId, `${field}.parentSpanId`),
    }),
    name: checkText(v.name, `${field}.name`),
    kind: v.kind as SpanKind,
    service: checkText(v.service, `${field}.service`),
    ...(v.endpoint !== undefined && { endpoint: checkText(v.endpoint, `${field}.endpoint`) }),
    start: checkStart(v.start, `${field}.start`),
    duration: checkDuration(v.duration, `${field}.duration`),
    status: v.status as SpanStatus,
    ...(v.code !== undefined && { code: v.code as number }),
    ...(v.message !== undefined && { message: checkText(v.message, `${field}.message`, false) }),
    attributes: checkAttributes(v.attributes, `${field}.attributes`),
    ...(events !== undefined && events.length > 0 && { events }),
  };
}

/** A batch of spans to write: an array of at most TRACE_LIMITS.batch spans, each checked. */
export function checkSpans(v: unknown, field = 'spans'): SpanRecord[] {
  if (!Array.isArray(v)) throw invalid(`${field} must be an array of spans, not ${kind(v)}`);
  if (v.length > TRACE_LIMITS.batch)
    throw invalid(`${field} has ${v.length} spans, over ${TRACE_LIMITS.batch} in one batch`);
  return v.map((s: unknown, i) => checkSpan(s, `${field}[${i}]`));
}

const optionalTime = (v: unknown, field: string): number | undefined =>
  v === undefined ? undefined : checkTime(v, field);

/** A list query, checked, with its limit filled in. */
export function checkQuery(v: unknown = {}): TraceQuery & { limit: number } {
  if (!isRecord(v)) throw invalid(`a trace query must be an object, not ${kind(v)}`);
  const q = v as TraceQuery;
  if (q.status !== undefined && q.status !== 'ok' && q.status !== 'error')
    throw invalid(`status must be ok or error, not ${kind(q.status)}`);
  const limit = q.limit ?? TRACE_LIMITS.list;
  if (!Number.isInteger(limit) || limit < 1 || limit > TRACE_LIMITS.listMax)
    throw invalid(
      `limit must be a whole number from 1 to ${TRACE_LIMITS.listMax}, not ${kind(limit)}`,
    );
  const out: TraceQuery & { limit: number } = { limit };
  if (q.service !== undefined) out.service = checkText(q.service, 'service');
  if (q.endpoint !== undefined) out.endpoint = checkText(q.endpoint, 'endpoint');
  if (q.status !== undefined) out.status = q.status;
  const times = ['minDuration', 'maxDuration', 'since', 'until'] as const;
  for (const t of times) {
    const value = optionalTime(q[t], t);
    if (value !== undefined) out[t] = value;
  }
  return out;
}

/** A map's window, checked: default the last 15 minutes up to now. */
export function checkWindow(
  v: { since?: unknown; until?: unknown } = {},
  now = Date.now(),
): { since: number; until: number } {
  const until = optionalTime(v.until, 'until') ?? now;
  const since = optionalTime(v.since, 'since') ?? until - 15 * 60_000;
  if (since >= until) throw invalid(`since (${since}) must be before until (${until})`);
  return { since, until };
}

/** How many spans, and how old, a Trace keeps; the oldest spans (by start) are dropped first. */
export interface TraceBounds {
  /** Spans kept at most (MICRO_TRACE_KEEP, default 100,000). */
  keep?: number;
  /** Ms a span is kept after it started (MICRO_TRACE_MAX_AGE, default 24 h). */
  maxAge?: number;
  /** The clock, ms since the epoch (tests). */
  now?: () => number;
}

/** The default bounds. */
export const TRACE_BOUNDS = {
  /** Spans kept at most. */
  keep: 100_000,
  /** Ms a span is kept after it started: 24 h. */
  maxAge: 24 * 3_600_000,
} as const;

/** The bounds MICRO_TRACE_KEEP and MICRO_TRACE_MAX_AGE give; a bad value is a TypeError. */
export function boundsFromEnv(env: NodeJS.ProcessEnv): TraceBounds {
  const whole = (name: string): number | undefined => {
    const text = env[name]?.trim();
    if (!text) return undefined;
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 1)
      throw new TypeError(`${name} must be a whole number above 0, not ${JSON.stringify(text)}`);
    return n;
  };
  const keep = whole('MICRO_TRACE_KEEP');
  const maxAge = whole('MICRO_TRACE_MAX_AGE');
  return { ...(keep !== undefined && { keep }), ...(maxAge !== undefined && { maxAge }) };
}

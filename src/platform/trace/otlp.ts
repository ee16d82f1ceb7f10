// OTLP JSON (ExportTraceServiceRequest, opentelemetry-proto's JSON mapping) to the spans a Trace
// keeps: resourceSpans -> scopeSpans -> spans; ids are hex strings (OTLP JSON's rule, not proto3's
// base64), times unix nanoseconds as strings or numbers, kinds and status codes enum numbers (or
// their names), attributes AnyValue (arrays, key-value lists and bytes kept as JSON or base64 text).
// The service is the resource's `service.name`; a micro span's endpoint its `micro.endpoint`, else
// `rpc.method`, `messaging.destination.name` or `http.route`; its code `micro.code`, else an HTTP
// status of 400 or more. Everything is checked as a written span is (validate.ts), and the whole
// request is a 400 naming the first wrong field: nothing of a bad request is stored.
import type { SpanKind, SpanRecord, SpanStatus } from './trace.ts';
import { checkSpan, invalid, kind as shown, TRACE_LIMITS } from './validate.ts';

type Json = Record<string, unknown>;
type Flat = string | number | boolean;

const isRecord = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An optional array field: absent is empty, anything but an array a 400. */
function list(v: unknown, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid(`${field} must be an array, not ${shown(v)}`);
  return v;
}

/** An object field: anything but an object a 400. */
function object(v: unknown, field: string): Json {
  if (!isRecord(v)) throw invalid(`${field} must be an object, not ${shown(v)}`);
  return v;
}

/** Unix nanoseconds (a string of digits or a whole number) as ms since the epoch, to the microsecond. */
function millis(v: unknown, field: string): number {
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return Number(BigInt(v) / 1000n) / 1000;
  // Past 2^53 a number is off by up to a few hundred ns: kept to the microsecond, as a string is.
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.round(v / 1e3) / 1e3;
  throw invalid(
    `${field} must be unix nanoseconds as a string of digits or a number, not ${shown(v)}`,
  );
}

/** A hex id of `digits` digits (either case) in lower case; empty or absent is undefined. */
function hex(v: unknown, digits: number, field: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || v.length !== digits || !/^[0-9a-fA-F]+$/.test(v))
    throw invalid(`${field} must be ${digits} hex digits (OTLP JSON ids are hex), not ${shown(v)}`);
  return v.toLowerCase();
}

const KINDS: Record<string, SpanKind> = {
  0: 'internal',
  1: 'internal',
  2: 'server',
  3: 'client',
  4: 'producer',
  5: 'consumer',
  SPAN_KIND_UNSPECIFIED: 'internal',
  SPAN_KIND_INTERNAL: 'internal',
  SPAN_KIND_SERVER: 'server',
  SPAN_KIND_CLIENT: 'client',
  SPAN_KIND_PRODUCER: 'producer',
  SPAN_KIND_CONSUMER: 'consumer',
};

const STATUSES: Record<string, SpanStatus> = {
  0: 'unset',
  1: 'ok',
  2: 'error',
  STATUS_CODE_UNSET: 'unset',
  STATUS_CODE_OK: 'ok',
  STATUS_CODE_ERROR: 'error',
};

/** An enum given as its number or its name. */
function enumOf<T>(table: Record<string, T>, v: unknown, fallback: T, field: string): T {
  if (v === undefined || v === null) return fallback;
  const found =
    (typeof v === 'number' || typeof v === 'string') && Object.hasOwn(table, v)
      ? table[v]
      : undefined;
  if (found === undefined) throw invalid(`${field} is not a known value: ${shown(v)}`);
  return found;
}

/** An AnyValue as plain JSON (nested arrays and lists kept), at most 8 levels deep. */
function plain(v: unknown, field: string, depth = 0): unknown {
  if (depth > 8) throw invalid(`${field} is nested more than 8 levels deep`);
  if (!isRecord(v)) throw invalid(`${field} must be an AnyValue object, not ${shown(v)}`);
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) {
    const n = Number(v.intValue);
    return typeof v.intValue === 'string' && !Number.isSafeInteger(n) ? v.intValue : n;
  }
  if ('doubleValue' in v) return v.doubleValue;
  if ('bytesValue' in v) return v.bytesValue;
  if ('arrayValue' in v)
    return list(
      object(v.arrayValue, `${field}.arrayValue`).values,
      `${field}.arrayValue.values`,
    ).map((x, i) => plain(x, `${field}.arrayValue.values[${i}]`, depth + 1));
  if ('kvlistValue' in v)
    return attributes(
      object(v.kvlistValue, `${field}.kvlistValue`).values,
      `${field}.kvlistValue.values`,
      depth + 1,
    );
  return undefined;
}

/** A KeyValue list as an object of plain values. */
function attributes(v: unknown, field: string, depth = 0): Record<string, unknown> {
  const items = list(v, field);
  if (items.length > TRACE_LIMITS.attributesHard)
    throw invalid(`${field} has ${items.length} attributes, over ${TRACE_LIMITS.attributesHard}`);
  const out: Record<string, unknown> = {};
  items.forEach((item, i) => {
    const kv = object(item, `${field}[${i}]`);
    if (typeof kv.key !== 'string')
      throw invalid(`${field}[${i}].key must be a string, not ${shown(kv.key)}`);
    if (kv.value === undefined || kv.value === null) return;
    const value = plain(kv.value, `${field}[${i}].value`, depth);
    if (value !== undefined) out[kv.key] = value;
  });
  return out;
}

/** Span attributes: plain values kept, arrays and lists as JSON text (then cut as any text). */
function flat(v: unknown, field: string): Record<string, Flat> {
  const out: Record<string, Flat> = {};
  for (const [key, value] of Object.entries(attributes(v, field))) {
    if (typeof value === 'string' || typeof value === 'boolean') out[key] = value;
    else if (typeof value === 'number') out[key] = Number.isFinite(value) ? value : String(value);
    else {
      const text = JSON.stringify(value);
      if (text.length > TRACE_LIMITS.textHard)
        throw invalid(
          `${field} ${JSON.stringify(key.slice(0, 40))} is over ${TRACE_LIMITS.textHard} characters as JSON`,
        );
      out[key] = text;
    }
  }
  return out;
}

const text = (v: Flat | undefined): string | undefined =>
  typeof v === 'string' && v !== '' ? v : undefined;

/** One OTLP span of a resource whose service is `service`, as a SpanRecord (checked). */
function spanOf(
  v: unknown,
  service: string,
  instance: Flat | undefined,
  field: string,
): SpanRecord {
  const s = object(v, field);
  const traceId = hex(s.traceId, 32, `${field}.traceId`) ?? '';
  const spanId = hex(s.spanId, 16, `${field}.spanId`) ?? '';
  const parent = hex(s.parentSpanId, 16, `${field}.parentSpanId`);
  const attrs = flat(s.attributes, `${field}.attributes`);
  if (instance !== undefined && !('service.instance.id' in attrs))
    attrs['service.instance.id'] = instance;
  const start = millis(s.startTimeUnixNano, `${field}.startTimeUnixNano`);
  const end = millis(s.endTimeUnixNano, `${field}.endTimeUnixNano`);
  const status =
    s.status === undefined || s.status === null ? {} : object(s.status, `${field}.status`);
  const httpStatus = attrs['http.response.status_code'];
  const code =
    typeof attrs['micro.code'] === 'number'
      ? attrs['micro.code']
      : typeof httpStatus === 'number' && httpStatus >= 400
        ? httpStatus
        : undefined;
  const endpoint =
    text(attrs['micro.endpoint']) ??
    text(attrs['rpc.method']) ??
    text(attrs['messaging.destination.name']) ??
    text(attrs['http.route']);
  const message =
    typeof status.message === 'string' && status.message !== '' ? status.message : undefined;
  const events = list(s.events, `${field}.events`);
  if (events.length > TRACE_LIMITS.eventsHard)
    throw invalid(`${field}.events has ${events.length} events, over ${TRACE_LIMITS.eventsHard}`);
  return checkSpan(
    {
      traceId,
      spanId,
      ...(parent !== undefined && { parentSpanId: parent }),
      name: s.name,
      kind: enumOf(KINDS, s.kind, 'internal', `${field}.kind`),
      service,
      ...(endpoint !== undefined && { endpoint }),
      start,
      duration: Math.max(0, end - start),
      status: enumOf(STATUSES, status.code, 'unset', `${field}.status.code`),
      ...(Number.isInteger(code) && (code as number) >= 0 && { code }),
      ...(message !== undefined && { message }),
      attributes: attrs,
      events: events.slice(0, TRACE_LIMITS.events).map((e, i) => {
        const ev = object(e, `${field}.events[${i}]`);
        return {
          time: millis(ev.timeUnixNano, `${field}.events[${i}].timeUnixNano`),
          name: ev.name,
          attributes: flat(ev.attributes, `${field}.events[${i}].attributes`),
        };
      }),
    },
    field,
  );
}

/**
 * The spans of an OTLP JSON ExportTraceServiceRequest; a 400 naming the first wrong field, or
 * when it holds more than TRACE_LIMITS.batch spans.
 */
export function decodeOtlpJson(request: unknown): SpanRecord[] {
  const r = object(request, 'an OTLP ExportTraceServiceRequest');
  const resources = list(r.resourceSpans, 'resourceSpans');
  let count = 0;
  for (const [i, rs] of resources.entries())
    for (const [j, ss] of list(
      object(rs, `resourceSpans[${i}]`).scopeSpans,
      `resourceSpans[${i}].scopeSpans`,
    ).entries())
      count += list(
        object(ss, `resourceSpans[${i}].scopeSpans[${j}]`).spans,
        `resourceSpans[${i}].scopeSpans[${j}].spans`,
      ).length;
  if (count > TRACE_LIMITS.batch)
    throw invalid(`the request has ${count} spans, over ${TRACE_LIMITS.batch} in one export`);
  const out: SpanRecord[] = [];
  resources.forEach((rs, i) => {
    const where = `resourceSpans[${i}]`;
    const resource = object(rs, where).resource;
    const attrs =
      resource === undefined || resource === null
        ? {}
        : flat(object(resource, `${where}.resource`).attributes, `${where}.resource.attributes`);
    const service = text(attrs['service.name']) ?? 'unknown_service';
    const instance = attrs['service.instance.id'];
    list((rs as Json).scopeSpans, `${where}.scopeSpans`).forEach((ss, j) => {
      list((ss as Json).spans, `${where}.scopeSpans[${j}].spans`).forEach((s, k) =>
        out.push(spanOf(s, service, instance, `${where}.scopeSpans[${j}].spans[${k}]`)),
      );
    });
  });
  return out;
}

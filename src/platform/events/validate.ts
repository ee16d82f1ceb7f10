// The one check of what the events area is given (topics, groups, data, metadata, keys, starts,
// subscribe and read options, retention, offsets) against EVENTS_LIMITS. Every implementation (the
// engines, the control plane's service and its client) calls it before touching anything, so each
// gives the same 400, with id `events`, naming the field, and stores nothing. Data is checked as
// JSON by the store's walker (same limits: 1 MiB as JSON text, 100 levels).
import { shownKey } from '../../runtime/server/closed.ts';
import { MicroError } from '../../runtime/errors.ts';
import { checkValue } from '../store/value.ts';
import { invalid, kind, shown } from './errors.ts';
import {
  EVENTS_LIMITS,
  type EventSubscribeOptions,
  type ReadOptions,
  type Retention,
  type StartAt,
} from './events.ts';

const NAME = /^[A-Za-z0-9._-]+$/;
const SEGMENTS = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** An event as it is stored: its data as JSON text, its key, its metadata. */
export interface CheckedEvent {
  json: string;
  key?: string;
  metadata: Record<string, string>;
}

/** A subscription's options, checked, with the defaults filled in. */
export interface CheckedSubscribe {
  group?: string;
  start: StartAt;
  ackTimeout: number;
  maxDeliveries: number;
  deadLetter: string;
  maxInFlight: number;
}

/** A read's options, checked: `limit` filled in. */
export interface CheckedRead {
  from?: number;
  to?: number;
  since?: number;
  until?: number;
  limit: number;
}

/** Default page size of a read. */
export const DEFAULT_PAGE = 100;

/** Bounds of a topic's retention. */
export const RETENTION_BOUNDS = {
  maxAge: { min: 1000, max: 10 * 365 * 24 * 3_600_000 },
  maxCount: { min: 1, max: 1_000_000_000 },
} as const;

/** A topic name: 1 to 255 of [A-Za-z0-9._-], no empty segment between dots. */
export function checkTopic(topic: unknown, field = 'topic'): string {
  if (typeof topic !== 'string') throw invalid(`${field} must be a string, not ${kind(topic)}`);
  if (
    topic.length < 1 ||
    topic.length > EVENTS_LIMITS.topicLength ||
    !NAME.test(topic) ||
    !SEGMENTS.test(topic)
  )
    throw invalid(
      `${field} must be 1 to ${EVENTS_LIMITS.topicLength} of A-Z a-z 0-9 . _ - with no empty segment between dots, not ${shown(topic)}`,
    );
  return topic;
}

/** A prefix of topic names (may be empty). */
export function checkPrefix(prefix: unknown, field = 'prefix'): string {
  if (prefix === undefined) return '';
  if (typeof prefix !== 'string') throw invalid(`${field} must be a string, not ${kind(prefix)}`);
  if (prefix.length > EVENTS_LIMITS.topicLength || (prefix !== '' && !NAME.test(prefix)))
    throw invalid(
      `${field} must be up to ${EVENTS_LIMITS.topicLength} of A-Z a-z 0-9 . _ -, not ${shown(prefix)}`,
    );
  return prefix;
}

/** A consumer group's (or a metadata entry's) name: 1 to 128 of [A-Za-z0-9._-]. */
export function checkName(name: unknown, field = 'group'): string {
  if (typeof name !== 'string') throw invalid(`${field} must be a string, not ${kind(name)}`);
  if (name.length < 1 || name.length > EVENTS_LIMITS.nameLength || !NAME.test(name))
    throw invalid(
      `${field} must be 1 to ${EVENTS_LIMITS.nameLength} of A-Z a-z 0-9 . _ -, not ${shown(name)}`,
    );
  return name;
}

/** The data of an event as the JSON text stored. */
export function checkData(data: unknown, field = 'data'): string {
  try {
    return checkValue(data, field);
  } catch (err) {
    throw err instanceof MicroError ? invalid(err.detail) : err;
  }
}

/** An idempotency key: 1 to 256 bytes of well-formed UTF-8 without NUL. */
export function checkKey(key: unknown, field = 'key'): string {
  if (typeof key !== 'string') throw invalid(`${field} must be a string, not ${kind(key)}`);
  if (key === '') throw invalid(`${field} must not be empty`);
  if (key.includes('\0')) throw invalid(`${field} must not contain NUL (\\u0000)`);
  if (!key.isWellFormed()) throw invalid(`${field} must be well-formed Unicode (a lone surrogate)`);
  const bytes = Buffer.byteLength(key);
  if (bytes > EVENTS_LIMITS.keyBytes)
    throw invalid(`${field} is ${bytes} bytes of UTF-8; the limit is ${EVENTS_LIMITS.keyBytes}`);
  return key;
}

/** Metadata: at most 64 entries of names as groups' and string values of at most 4 KiB. */
export function checkMetadata(metadata: unknown, field = 'metadata'): Record<string, string> {
  if (metadata === undefined) return {};
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    throw invalid(`${field} must be an object of strings, not ${kind(metadata)}`);
  const entries = Object.entries(metadata);
  if (entries.length > EVENTS_LIMITS.metadataEntries)
    throw invalid(
      `${field} has ${entries.length} entries; the limit is ${EVENTS_LIMITS.metadataEntries}`,
    );
  for (const [name, value] of entries) {
    checkName(name, `${field} name`);
    const at = `${field}.${name}`;
    if (typeof value !== 'string') throw invalid(`${at} must be a string, not ${kind(value)}`);
    if (!value.isWellFormed()) throw invalid(`${at} must be well-formed Unicode`);
    const bytes = Buffer.byteLength(value);
    if (bytes > EVENTS_LIMITS.metadataValueBytes)
      throw invalid(`${at} is ${bytes} bytes; the limit is ${EVENTS_LIMITS.metadataValueBytes}`);
  }
  // fromEntries defines each entry, so a name such as __proto__ is kept as given.
  return Object.fromEntries(entries);
}

/** One event of a publish; `where` prefixes field names (`events[2].`). */
export function checkEvent(data: unknown, options: unknown, where = ''): CheckedEvent {
  const o = fields(options, where ? where.slice(0, -1) : 'the publish options', [
    ...(where ? ['data'] : []),
    'key',
    'metadata',
  ]);
  const event: CheckedEvent = {
    json: checkData(data, `${where}data`),
    metadata: checkMetadata(o.metadata, `${where}metadata`),
  };
  if (o.key !== undefined) event.key = checkKey(o.key, `${where}key`);
  return event;
}

/** The events of a publishMany: an array of at most 1,000 {data, key?, metadata?}. */
export function checkEvents(events: unknown): CheckedEvent[] {
  if (!Array.isArray(events)) throw invalid(`events must be an array, not ${kind(events)}`);
  if (events.length > EVENTS_LIMITS.batch)
    throw invalid(`events has ${events.length} items; the limit is ${EVENTS_LIMITS.batch}`);
  return events.map((e: unknown, i) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e))
      throw invalid(`events[${i}] must be an object {data, key?, metadata?}, not ${kind(e)}`);
    if (!('data' in e)) throw invalid(`events[${i}].data is missing`);
    return checkEvent(e.data, e, `events[${i}].`);
  });
}

/** Where a reader starts: latest, earliest, {offset} or {time}. */
export function checkStart(start: unknown, field = 'start'): StartAt {
  if (start === 'latest' || start === 'earliest') return start;
  if (typeof start === 'object' && start !== null && !Array.isArray(start)) {
    const keys = Object.keys(start).filter(
      (k) => (start as Record<string, unknown>)[k] !== undefined,
    );
    if (keys.length === 1 && keys[0] === 'offset')
      return { offset: checkWhole((start as { offset: unknown }).offset, `${field}.offset`, 1) };
    if (keys.length === 1 && keys[0] === 'time')
      return { time: checkWhole((start as { time: unknown }).time, `${field}.time`, 0) };
  }
  throw invalid(`${field} must be "latest", "earliest", {offset} or {time}, not ${kind(start)}`);
}

/** A subscription's options, checked, defaults filled in (deadLetter: `<topic>.dead`). */
export function checkSubscribe(topic: string, options: unknown): CheckedSubscribe {
  const o = fields(options, 'the subscribe options', [
    'group',
    'start',
    'ackTimeout',
    'maxDeliveries',
    'deadLetter',
    'maxInFlight',
  ]);
  const L = EVENTS_LIMITS;
  const checked: CheckedSubscribe = {
    start: o.start === undefined ? 'latest' : checkStart(o.start),
    ackTimeout: checkBounded(o.ackTimeout, 'ackTimeout', L.ackTimeout),
    maxDeliveries: checkBounded(o.maxDeliveries, 'maxDeliveries', L.maxDeliveries),
    deadLetter:
      o.deadLetter === undefined ? deadLetterOf(topic) : checkTopic(o.deadLetter, 'deadLetter'),
    maxInFlight: checkBounded(o.maxInFlight, 'maxInFlight', L.maxInFlight),
  };
  if (o.group !== undefined) checked.group = checkName(o.group, 'group');
  return checked;
}

/** A topic's default dead-letter topic: `<topic>.dead` (a 400 when that name is too long). */
export function deadLetterOf(topic: string): string {
  if (topic.length + 5 > EVENTS_LIMITS.topicLength)
    throw invalid(
      `deadLetter must be given for a topic longer than ${EVENTS_LIMITS.topicLength - 5} characters`,
    );
  return `${topic}.dead`;
}

/** A read's options: offsets from/to, times since/until, limit 1 to 1,000. */
export function checkRead(options: unknown): CheckedRead {
  const o = fields(options, 'the read options', ['from', 'to', 'since', 'until', 'limit']);
  const read: CheckedRead = {
    limit:
      o.limit === undefined ? DEFAULT_PAGE : checkWhole(o.limit, 'limit', 1, EVENTS_LIMITS.batch),
  };
  if (o.from !== undefined) read.from = checkWhole(o.from, 'from', 1);
  if (o.to !== undefined) read.to = checkWhole(o.to, 'to', 0);
  if (o.since !== undefined) read.since = checkWhole(o.since, 'since', 0);
  if (o.until !== undefined) read.until = checkWhole(o.until, 'until', 0);
  return read;
}

/** A retention: maxAge (ms, 1 s to 10 years) and maxCount (1 to 1,000,000,000), each optional. */
export function checkRetention(retention: unknown): Retention {
  const o = fields(retention, 'the retention', ['maxAge', 'maxCount']);
  const out: Retention = {};
  const B = RETENTION_BOUNDS;
  if (o.maxAge !== undefined)
    out.maxAge = checkWhole(o.maxAge, 'maxAge', B.maxAge.min, B.maxAge.max);
  if (o.maxCount !== undefined)
    out.maxCount = checkWhole(o.maxCount, 'maxCount', B.maxCount.min, B.maxCount.max);
  return out;
}

/** Offsets to acknowledge: an array of at most 1,000 offsets. */
export function checkOffsets(offsets: unknown, field = 'offsets'): number[] {
  if (!Array.isArray(offsets)) throw invalid(`${field} must be an array, not ${kind(offsets)}`);
  if (offsets.length > EVENTS_LIMITS.batch)
    throw invalid(`${field} has ${offsets.length} items; the limit is ${EVENTS_LIMITS.batch}`);
  return offsets.map((n: unknown, i) => checkWhole(n, `${field}[${i}]`, 1));
}

/** A nack's delay: 0 to ackTimeout's maximum ms (default 0). */
export function checkDelay(delay: unknown, field = 'delay'): number {
  if (delay === undefined) return 0;
  return checkWhole(delay, field, 0, EVENTS_LIMITS.ackTimeout.max);
}

/** A whole number from min to max (at most Number.MAX_SAFE_INTEGER). */
export function checkWhole(
  n: unknown,
  field: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max)
    throw invalid(
      `${field} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}, not ${kind(n)}`,
    );
  return n;
}

function checkBounded(
  n: unknown,
  field: string,
  bounds: { default: number; min: number; max: number },
): number {
  return n === undefined ? bounds.default : checkWhole(n, field, bounds.min, bounds.max);
}

/** An options object: undefined, or an object with only these fields (a typo is a 400). */
export function fields(
  o: unknown,
  field: string,
  known: readonly string[],
): Record<string, unknown> {
  if (o === undefined) return {};
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    throw invalid(`${field} must be an object, not ${kind(o)}`);
  for (const [k, v] of Object.entries(o))
    if (v !== undefined && !known.includes(k))
      throw invalid(`${shownKey(k)} is not a field of ${field}; it takes ${known.join(', ')}`);
  return o as Record<string, unknown>;
}

export type { EventSubscribeOptions, ReadOptions };
export { EVENTS_ID, invalid, missing } from './errors.ts';

/** A 400 when a seek's start is an offset past the topic's next one (`last` + 1): its group would skip events. */
export function pastEnd(topic: string, last: number, start: StartAt): void {
  if (typeof start === 'object' && 'offset' in start && start.offset > last + 1)
    throw invalid(
      `start offset ${start.offset} is past the end of ${topic}: its last offset is ${last} (seek to at most ${last + 1}, or latest)`,
    );
}

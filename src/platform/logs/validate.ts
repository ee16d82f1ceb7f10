// The logs' checks, shared by every implementation and the `logs` service: a batch of records or
// a query that breaks a bound is a 400 from `logs` naming the field, and nothing is stored. Also
// what a stored line must match to answer a query, for the implementations that filter in
// process (memory, watches).
import { badRequest } from '../../runtime/errors.ts';
import { LOG_LEVELS, type LogLevel, type LogQuery, type LogRecord } from './logs.ts';

/** Ms a line may be stamped ahead of this clock (another machine's clock may run ahead). */
const SKEW = 3_600_000;

/** A line's time, at most an hour ahead of now (else it would sort after every line to come). */
function checkLineTime(time: number, field: string): number {
  if (time > Date.now() + SKEW)
    throw badRequest(
      LOGS_ID,
      `${field} is ${new Date(time).toISOString()}, more than an hour from now`,
    );
  return time;
}

/** The id of the logs' errors. */
export const LOGS_ID = 'logs';

/** The logs' bounds. */
export const LOGS_LIMITS = {
  /** Bytes of a message (UTF-16 code units, as JavaScript counts). */
  msg: 16 * 1024,
  /** Characters of a record's fields as JSON. */
  fields: 64 * 1024,
  /** Records in one write. */
  batch: 1000,
  /** Characters of a service or node name. */
  name: 256,
  /** Characters of a grep. */
  grep: 256,
  /** Lines a read answers: the default and the most. */
  limit: { default: 100, max: 1000 },
} as const;

const TRACE = /^[0-9a-f]{32}$/;
const SPAN = /^[0-9a-f]{16}$/;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A level's rank: trace 0 ... fatal 5. */
export const levelRank = (level: LogLevel): number => LOG_LEVELS.indexOf(level);

/** The level, or a 400 naming `field`. */
export function checkLevel(value: unknown, field = 'level'): LogLevel {
  if (typeof value !== 'string' || !(LOG_LEVELS as readonly string[]).includes(value))
    throw badRequest(LOGS_ID, `${field} must be one of ${LOG_LEVELS.join(', ')}`);
  return value as LogLevel;
}

function checkName(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '' || value.length > LOGS_LIMITS.name)
    throw badRequest(LOGS_ID, `${field} must be a name of 1 to ${LOGS_LIMITS.name} characters`);
  return value;
}

function checkWhole(value: unknown, field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw badRequest(LOGS_ID, `${field} must be a whole number from ${min} to ${max}`);
  return value;
}

/** A trace id as stored: 32 hex digits, lower case (a 400 naming `field` otherwise). */
export function checkTraceId(value: unknown, field = 'trace'): string {
  const id = typeof value === 'string' ? value.toLowerCase() : '';
  if (!TRACE.test(id)) throw badRequest(LOGS_ID, `${field} must be a trace id of 32 hex digits`);
  return id;
}

/** One record as stored (its `id` dropped), or a 400 naming the field of records[i]. */
export function checkRecord(value: unknown, i = 0): LogRecord {
  const at = `records[${i}]`;
  if (!isObject(value)) throw badRequest(LOGS_ID, `${at} must be a JSON object`);
  const { time, service, node, level, msg, traceId, spanId, fields } = value;
  for (const key of Object.keys(value))
    if (!RECORD_KEYS.has(key))
      throw badRequest(LOGS_ID, `${at}.${key.slice(0, 40)} is not a field of a log record`);
  if (typeof msg !== 'string') throw badRequest(LOGS_ID, `${at}.msg must be a string`);
  if (msg.length > LOGS_LIMITS.msg)
    throw badRequest(LOGS_ID, `${at}.msg is longer than ${LOGS_LIMITS.msg} characters`);
  const record: LogRecord = {
    time: checkLineTime(checkWhole(time, `${at}.time`), `${at}.time`),
    service: checkName(service, `${at}.service`),
    level: checkLevel(level, `${at}.level`),
    msg,
  };
  if (node !== undefined) record.node = checkName(node, `${at}.node`);
  if (traceId !== undefined) record.traceId = checkTraceId(traceId, `${at}.traceId`);
  if (spanId !== undefined) {
    const id = typeof spanId === 'string' ? spanId.toLowerCase() : '';
    if (!SPAN.test(id))
      throw badRequest(LOGS_ID, `${at}.spanId must be a span id of 16 hex digits`);
    record.spanId = id;
  }
  if (fields !== undefined) {
    if (!isObject(fields)) throw badRequest(LOGS_ID, `${at}.fields must be a JSON object`);
    if (JSON.stringify(fields).length > LOGS_LIMITS.fields)
      throw badRequest(
        LOGS_ID,
        `${at}.fields is larger than ${LOGS_LIMITS.fields} characters of JSON`,
      );
    if (Object.keys(fields).length > 0) record.fields = fields;
  }
  return record;
}
const RECORD_KEYS = new Set([
  'id',
  'time',
  'service',
  'node',
  'level',
  'msg',
  'traceId',
  'spanId',
  'fields',
]);

/** A batch as stored, or a 400 naming the first bad field; an empty batch is fine. */
export function checkRecords(value: unknown): LogRecord[] {
  if (!Array.isArray(value)) throw badRequest(LOGS_ID, 'records must be an array');
  if (value.length > LOGS_LIMITS.batch)
    throw badRequest(
      LOGS_ID,
      `records holds ${value.length} lines; a write takes at most ${LOGS_LIMITS.batch}`,
    );
  return value.map((r, i) => checkRecord(r, i));
}

/** A query with its values checked (a 400 naming the field) and its limit set. */
export function checkQuery(value: unknown = {}): LogQuery & { limit: number } {
  if (!isObject(value)) throw badRequest(LOGS_ID, 'a log query must be a JSON object');
  const q = value;
  for (const key of Object.keys(q))
    if (!QUERY_KEYS.has(key))
      throw badRequest(
        LOGS_ID,
        `${key.slice(0, 40)} is not a field of a log query; it takes ${[...QUERY_KEYS].join(', ')}`,
      );
  const out: LogQuery & { limit: number } = {
    limit:
      q.limit === undefined
        ? LOGS_LIMITS.limit.default
        : checkWhole(q.limit, 'limit', 1, LOGS_LIMITS.limit.max),
  };
  if (q.service !== undefined) out.service = checkName(q.service, 'service');
  if (q.level !== undefined) out.level = checkLevel(q.level);
  if (q.grep !== undefined) {
    if (typeof q.grep !== 'string' || q.grep.length > LOGS_LIMITS.grep)
      throw badRequest(LOGS_ID, `grep must be a text of at most ${LOGS_LIMITS.grep} characters`);
    if (q.grep !== '') out.grep = q.grep;
  }
  if (q.trace !== undefined) out.trace = checkTraceId(q.trace);
  if (q.since !== undefined) out.since = checkWhole(q.since, 'since');
  if (q.until !== undefined) out.until = checkWhole(q.until, 'until');
  if (q.after !== undefined) out.after = checkWhole(q.after, 'after');
  return out;
}
const QUERY_KEYS = new Set([
  'service',
  'level',
  'grep',
  'trace',
  'since',
  'until',
  'after',
  'limit',
]);

/** Whether a stored record answers the query's filters (not its limit or `after`). */
export function matches(r: LogRecord, q: LogQuery): boolean {
  if (q.service !== undefined && r.service !== q.service) return false;
  if (q.level !== undefined && levelRank(r.level) < levelRank(q.level)) return false;
  if (q.trace !== undefined && r.traceId !== q.trace) return false;
  if (q.since !== undefined && r.time < q.since) return false;
  if (q.until !== undefined && r.time >= q.until) return false;
  if (q.grep !== undefined) {
    const needle = q.grep.toLowerCase();
    if (
      !r.msg.toLowerCase().includes(needle) &&
      !(r.fields && JSON.stringify(r.fields).toLowerCase().includes(needle))
    )
      return false;
  }
  return true;
}

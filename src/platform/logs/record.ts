// One printed line as a LogRecord: pino's JSON (level number -> name, time, msg, service, node,
// trace_id, span_id; any other key kept in fields) or, for any other line, its text at the level
// its stream implies. What the supervisor collects from its children's output and the shipper
// sends; messages are cut to 16 KiB and fields over 64 KiB of JSON dropped, so a record made here
// always passes the logs' checks.
import { LOG_LEVELS, type LogLevel, type LogRecord } from './logs.ts';
import { LOGS_LIMITS } from './validate.ts';

/** pino's level number of each level name. */
export const PINO_LEVELS: Readonly<Record<LogLevel, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

/** A pino level number's name (a custom level as the standard one below it). */
export function levelOfNumber(n: number): LogLevel {
  const i = Math.min(Math.max(Math.floor(n / 10) - 1, 0), LOG_LEVELS.length - 1);
  return LOG_LEVELS[i]!;
}

/** What a line is taken as when it says nothing of itself. */
export interface LineDefaults {
  /** The service that printed it. */
  service: string;
  node?: string;
  /** Its level when it is not pino's JSON: info for stdout, error for stderr. */
  level: LogLevel;
  /** When it was printed (default now). */
  time?: number;
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const OWN = new Set(['level', 'time', 'msg', 'service', 'node', 'trace_id', 'span_id']);
const cut = (s: string): string => (s.length > LOGS_LIMITS.msg ? s.slice(0, LOGS_LIMITS.msg) : s);
const name = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' && v.length <= LOGS_LIMITS.name ? v : undefined;

/** The record of one printed line (without its newline). */
export function recordOfLine(line: string, d: LineDefaults): LogRecord {
  const time = d.time ?? Date.now();
  const plain = (): LogRecord => ({
    time,
    service: d.service,
    ...(d.node !== undefined && { node: d.node }),
    level: d.level,
    msg: cut(line),
  });
  if (!line.startsWith('{') || !line.endsWith('}')) return plain();
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return plain();
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return plain();
  const j = o as Record<string, unknown>;
  const level =
    typeof j.level === 'number'
      ? levelOfNumber(j.level)
      : (LOG_LEVELS as readonly unknown[]).includes(j.level)
        ? (j.level as LogLevel)
        : undefined;
  if (level === undefined) return plain();
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(j)) if (!OWN.has(key)) fields[key] = j[key];
  const node = name(j.node) ?? d.node;
  const r: LogRecord = {
    time: typeof j.time === 'number' && Number.isInteger(j.time) && j.time >= 0 ? j.time : time,
    service: name(j.service) ?? d.service,
    ...(node !== undefined && { node }),
    level,
    msg: cut(typeof j.msg === 'string' ? j.msg : j.msg === undefined ? '' : JSON.stringify(j.msg)),
  };
  if (typeof j.trace_id === 'string' && HEX32.test(j.trace_id)) r.traceId = j.trace_id;
  else if (j.trace_id !== undefined) fields.trace_id = j.trace_id;
  if (typeof j.span_id === 'string' && HEX16.test(j.span_id)) r.spanId = j.span_id;
  else if (j.span_id !== undefined) fields.span_id = j.span_id;
  if (Object.keys(fields).length > 0 && JSON.stringify(fields).length <= LOGS_LIMITS.fields)
    r.fields = fields;
  return r;
}

// What `micro logs` prints and how it reads its flags: one line per log record (time, level,
// service[node], message, its fields, and the trace id's short form), coloured by level only when
// the stream is a terminal (and NO_COLOR is not set), every control character from the record
// escaped; and the flags (--level, -n, --trace, --grep) checked into a LogQuery with a 400 that
// names the flag.
import { styleText } from 'node:util';
import { LOG_LEVELS, type LogLevel, type LogRecord } from '../../platform/logs/logs.ts';
import { printable } from '../../registry/printable.ts';
import { badRequest } from '../../runtime/errors.ts';
import { json } from './output.ts';

const CLI = 'micro.cli';

/** Most lines one read returns (LogQuery's bound). */
export const MAX_LINES = 1000;

/** Longest --grep text the logs service takes. */
export const MAX_GREP = 256;

/** Hex digits of a trace id shown on a line (the whole id is in --output json). */
export const TRACE_SHORT = 8;

const COLOURS: Record<LogLevel, Parameters<typeof styleText>[0]> = {
  trace: 'gray',
  debug: 'gray',
  info: 'green',
  warn: 'yellow',
  error: 'red',
  fatal: ['bold', 'red'],
};

/** --level: one of LOG_LEVELS, else a 400 naming them. */
export function levelFlag(value: string | undefined): LogLevel | undefined {
  if (value === undefined) return undefined;
  const level = value.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw badRequest(
      CLI,
      `--level must be one of ${LOG_LEVELS.join(', ')}, not ${JSON.stringify(printable(value.slice(0, 40), false))}`,
    );
  return level as LogLevel;
}

/** -n: a whole number from 0 to MAX_LINES, else a 400. */
export function limitFlag(value: number | undefined): number | undefined {
  if (value !== undefined && !(Number.isInteger(value) && value >= 0 && value <= MAX_LINES))
    throw badRequest(
      CLI,
      `--tail must be a whole number of lines from 0 to ${MAX_LINES} (-n), not ${value}`,
    );
  return value;
}

/** --trace: a trace id of 32 hex digits (as printed in full by --output json), else a 400. */
export function traceFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9a-f]{32}$/i.test(value))
    throw badRequest(
      CLI,
      `--trace must be a trace id of 32 hex digits, not ${JSON.stringify(printable(value.slice(0, 40), false))}`,
    );
  return value.toLowerCase();
}

/** --grep: at most MAX_GREP characters, else a 400. */
export function grepFlag(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length > MAX_GREP)
    throw badRequest(CLI, `--grep is ${value.length} characters long; the limit is ${MAX_GREP}`);
  return value;
}

/** The node as a line shows it: without the service's name in front, cut to 8 characters. */
const shortNode = (service: string, node: string): string =>
  (node.startsWith(`${service}-`) ? node.slice(service.length + 1) : node).slice(0, 8);

/** A record's other fields as ` key=value` (values as JSON unless plain words). */
const fieldsText = (fields: Record<string, unknown> | undefined): string => {
  let text = '';
  for (const [k, v] of Object.entries(fields ?? {})) {
    const value = typeof v === 'string' && /^[^\s"=]*$/.test(v) ? v : JSON.stringify(v);
    text += ` ${k}=${value}`;
  }
  return text;
};

/**
 * One record as a line: `2026-12-07T15:48:01.123Z INFO  greeter[3f2a9c1e] said hello name=Ann
 * trace=4bf92f35`. The level is coloured when `stream` is a terminal; the record's own text is
 * escaped (a log line may carry anything a caller sent).
 */
export function logLine(r: LogRecord, stream?: NodeJS.WriteStream): string {
  const level = r.level.toUpperCase().padEnd(5);
  const coloured = stream ? styleText(COLOURS[r.level] ?? 'reset', level, { stream }) : level;
  const who = r.node ? `${r.service}[${shortNode(r.service, r.node)}]` : r.service;
  const trace = r.traceId ? ` trace=${r.traceId.slice(0, TRACE_SHORT)}` : '';
  const rest = printable(`${who} ${r.msg}${fieldsText(r.fields)}${trace}`, false);
  return `${new Date(r.time).toISOString()} ${coloured} ${rest}`;
}

/** One record as a line of JSON (JSON lines: one object a line, ready for jq). */
export const logJson = (r: LogRecord): string => json(r, false);

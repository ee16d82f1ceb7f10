// Logs: structured lines (pino's JSON) from every service and micro component, each with the
// trace and span id of the request it was written in. The control plane's `logs` service keeps
// the lines of the services it runs and of any service that opts in (SQLite, bounded per
// service), searchable by service, level, text and trace id, and followed live. One interface for
// the control plane's service and the in-process memory one (tests).

/** pino's levels, lowest first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** A level's name. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One log line. */
export interface LogRecord {
  /** Its place in the store, increasing (absent until stored). */
  id?: number;
  /** When it was written, ms since the epoch. */
  time: number;
  /** The service (or micro component: `api`, `sidecar`, `micro`) that wrote it. */
  service: string;
  /** The node that wrote it. */
  node?: string;
  /** Its level. */
  level: LogLevel;
  /** Its message (cut to 16 KiB). */
  msg: string;
  /** The trace it was written in (32 hex digits). */
  traceId?: string;
  /** The span it was written in (16 hex digits). */
  spanId?: string;
  /** Its other fields (at most 64 KiB as JSON). */
  fields?: Record<string, unknown>;
}

/** Which lines to read or follow; all filters must match. */
export interface LogQuery {
  /** Lines of this service. */
  service?: string;
  /** Lines at this level or above. */
  level?: LogLevel;
  /** Lines whose message (or fields) contain this text, case-insensitive (at most 256 chars). */
  grep?: string;
  /** Lines written in this trace. */
  trace?: string;
  /** Written at or after, ms since the epoch. */
  since?: number;
  /** Written before, ms since the epoch. */
  until?: number;
  /** Lines stored after this id (to page forward, or follow on from a read): a read then gives the first `limit` of them. */
  after?: number;
  /** The last this many matching lines, oldest first (default 100, at most 1,000). */
  limit?: number;
}

/** A service whose lines are kept. */
export interface LogSource {
  /** The service's name. */
  service: string;
  /** Lines kept. */
  lines: number;
  /** When its last line was written, ms since the epoch. */
  last: number;
}

/** Keeps log lines and reads them back. */
export interface Logs {
  /** Stores lines (a batch of at most 1,000); the oldest of a service go past its bound. */
  write(records: LogRecord[]): Promise<void>;
  /** The last `limit` lines matching, oldest first. */
  read(query?: LogQuery): Promise<LogRecord[]>;
  /** Lines matching as they are stored (after `query.after`, else from now), until signal aborts. */
  watch(query: LogQuery, signal: AbortSignal): AsyncIterable<LogRecord>;
  /** Services with lines kept. */
  sources(): Promise<LogSource[]>;
  /** Releases what it holds. */
  close(): Promise<void>;
}

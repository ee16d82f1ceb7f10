// The logger of every service and micro component: pino, each line carrying `service`, `node` and
// the `trace_id`/`span_id` of the OpenTelemetry span active when it is written (a mixin: one
// getActiveSpan() per line, nothing more when there is none). Lines are pino's JSON (`level`
// number, `time` ms, `msg`) on stdout, or pretty (pino-pretty, in this process: the single
// executable has no worker files) when stdout is a terminal; MICRO_LOG_FORMAT=json|pretty forces
// one, MICRO_LOG_LEVEL sets the level (default info), MICRO_LOG_FILE appends every line to a file
// too. The logger is also the runtime's Logger (info/warn/error taking a string).
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import type { Logger } from '../../runtime/server/server.ts';
import { LOG_LEVELS, type LogLevel } from './logs.ts';
import { levelOfNumber } from './record.ts';
import { fileSink } from './ship.ts';

/** A micro logger: pino's, and the runtime's Logger. */
export type MicroLogger = PinoLogger;

/** How lines are printed. */
export type LogFormat = 'json' | 'pretty';

/** Options of createLogger; all but service have defaults from the environment. */
export interface LoggerOptions {
  /** The service (or component: `api`, `sidecar`, `micro`) writing. */
  service: string;
  /** The node writing (its id). */
  node?: string;
  /** The lowest level written (default MICRO_LOG_LEVEL, else info); `silent` writes none. */
  level?: LogLevel | 'silent';
  /** How lines are printed (default MICRO_LOG_FORMAT, else pretty on a terminal, JSON otherwise). */
  format?: LogFormat;
  /** Where lines go instead of stdout. */
  stream?: DestinationStream;
  /** Where each line (JSON) goes too: the shippers of ship.ts. */
  sinks?: DestinationStream[];
  /** The environment read for the defaults (default process.env). */
  env?: NodeJS.ProcessEnv;
}

const NONE = {};
/** The active span's ids, or the shared empty object (nothing made) when there is none. */
function spanIds(): object {
  const span = trace.getActiveSpan();
  if (!span) return NONE;
  const c = span.spanContext();
  return isSpanContextValid(c) ? { trace_id: c.traceId, span_id: c.spanId } : NONE;
}
// pino's default merge writes the call's object into the mixin's: never into the shared one.
const merge = (given: object, ids: object): object =>
  ids === NONE ? given : Object.assign(ids, given);

/** MICRO_LOG_LEVEL's level (info when unset); any other value is a TypeError naming it. */
export function levelFromEnv(env: NodeJS.ProcessEnv): LogLevel | 'silent' {
  const raw = env.MICRO_LOG_LEVEL;
  if (raw === undefined || raw === '') return 'info';
  if (raw === 'silent' || (LOG_LEVELS as readonly string[]).includes(raw))
    return raw as LogLevel | 'silent';
  throw new TypeError(
    `MICRO_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} or silent, not ${JSON.stringify(raw)}`,
  );
}

/** MICRO_LOG_FORMAT's format (undefined when unset); any other value is a TypeError naming it. */
export function formatFromEnv(env: NodeJS.ProcessEnv): LogFormat | undefined {
  const raw = env.MICRO_LOG_FORMAT;
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'json' || raw === 'pretty') return raw;
  throw new TypeError(`MICRO_LOG_FORMAT must be json or pretty, not ${JSON.stringify(raw)}`);
}

const PRETTY = {
  singleLine: true,
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'pid,hostname,service,node,span_id',
  messageFormat: '{service}: {msg}',
} as const;

/** pino-pretty in this process: `[12:00:01.234] INFO: greeter: msg {other fields}`. */
export function prettyStream(destination: DestinationStream | number, colorize: boolean) {
  return pretty({ ...PRETTY, destination, sync: true, colorize });
}

/**
 * A printer of output lines for a terminal: a line that is pino's JSON printed as prettyStream
 * would (without its newline), any other line as it is.
 */
export function prettyLines(colorize: boolean): (line: string) => string {
  const format = pretty.prettyFactory({ ...PRETTY, colorize });
  return (line) => {
    if (!line.startsWith('{"level":')) return line;
    try {
      return format(line).trimEnd();
    } catch {
      return line;
    }
  };
}

/** A pino logger for the service, as LoggerOptions say. */
export function createLogger(options: LoggerOptions): MicroLogger {
  const env = options.env ?? process.env;
  const level = options.level ?? levelFromEnv(env);
  const given = options.format ?? formatFromEnv(env);
  const terminal = options.stream === undefined && process.stdout.isTTY === true;
  const format = given ?? (terminal ? 'pretty' : 'json');
  const primary =
    format === 'pretty'
      ? prettyStream(options.stream ?? 1, terminal)
      : (options.stream ?? pino.destination({ dest: 1, sync: true }));
  const file = fileSink(env);
  const extra = [...(file ? [file] : []), ...(options.sinks ?? [])];
  const stream =
    extra.length === 0
      ? primary
      : pino.multistream([primary, ...extra].map((s) => ({ stream: s, level: 'trace' as const })));
  return pino(
    {
      level,
      base: { service: options.service, ...(options.node !== undefined && { node: options.node }) },
      mixin: spanIds,
      mixinMergeStrategy: merge,
    },
    stream,
  );
}

/** A stream handing each line to a runtime Logger (its info, warn or error), for a logger given by a caller. */
export function loggerStream(logger: Logger): DestinationStream {
  return {
    write(line: string) {
      let level = 'info';
      let msg = line.trimEnd();
      try {
        const j = JSON.parse(line) as { level?: number; msg?: string };
        level = levelOfNumber(j.level ?? 30);
        msg = j.msg ?? '';
      } catch {
        // Not JSON: passed on as it is.
      }
      if (level === 'warn') logger.warn(msg);
      else if (level === 'error' || level === 'fatal') logger.error(msg);
      else logger.info(msg);
    },
  };
}

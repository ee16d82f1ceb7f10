// The logs area: structured lines from every service (logger.ts), shipped onwards (ship.ts), kept
// by the control plane's `logs` service (service.ts over sqlite.ts) and read through the Logs
// interface (logs.ts). The table of implementations MICRO_LOGS picks from, and logsFromEnv, what
// the CLI and services read the control plane's lines with.
import type { Client } from '../../runtime/client/client.ts';
import { pickPlugin } from '../../runtime/plugins.ts';
import { createMicroLogs, type MicroLogsOptions } from './client.ts';
import type { Logs } from './logs.ts';
import { boundsFromEnv, createMemoryLogs, LOGS_BOUNDS, type LogsBounds } from './memory.ts';

export type * from './logs.ts';
export { LOG_LEVELS } from './logs.ts';
export { boundsFromEnv, createMemoryLogs, createMicroLogs, LOGS_BOUNDS };
export { createLogger, type LoggerOptions, type MicroLogger } from './logger.ts';
export { LOGS_ID, LOGS_LIMITS } from './validate.ts';
export type { LogsBounds, MicroLogsOptions };
export type { MemoryLogsOptions } from './memory.ts';

/** The logs by name: MICRO_LOGS picks from it. */
export const logsTable = {
  /** The control plane's `logs` service (SQLite in micro.db); the default. */
  micro: (o: MicroLogsOptions = {}) => createMicroLogs(o),
  /** In this process only: tests and single-process programs. */
  memory: () => createMemoryLogs(),
} satisfies Record<string, (options?: MicroLogsOptions) => Logs>;

/** The logs named by MICRO_LOGS (default `micro`, the control plane's, at MICRO_LOGS_ADDRESS or through `client`). */
export function logsFromEnv(env: NodeJS.ProcessEnv, defaults: { client?: Client } = {}): Logs {
  const make = pickPlugin<(o?: MicroLogsOptions) => Logs>(
    logsTable,
    'logs',
    env.MICRO_LOGS || 'micro',
    'MICRO_LOGS',
  );
  const address = env.MICRO_LOGS_ADDRESS || undefined;
  return make({
    ...(address && { address }),
    ...(defaults.client && !address && { client: defaults.client }),
  });
}

// The trace area: the table of Trace implementations, the one a service or the CLI reads traces
// with (traceFromEnv); the exporter (exporter.ts) is imported on its own. Light on purpose:
// SQLite is the control plane's own (service.ts), reached through the `micro` entry.
import type { Client } from '../../runtime/client/client.ts';
import { pickPlugin } from '../../runtime/plugins.ts';
import { createMicroTrace, type MicroTraceOptions } from './client.ts';
import { createMemoryTrace } from './memory.ts';
import type { Trace } from './trace.ts';

/** The Trace implementations by name: MICRO_TRACE_STORE picks from it. */
export const traces: Readonly<Record<string, (options: MicroTraceOptions) => Trace>> = {
  /** The control plane's `trace` service (SQLite in micro.db there); the default. */
  micro: (o) => createMicroTrace(o),
  /** In this process only: tests and single-process programs. */
  memory: () => createMemoryTrace(),
};

/**
 * The Trace named by MICRO_TRACE_STORE (default `micro`, the control plane's) at
 * MICRO_TRACE_ADDRESS; the micro one calls through `client` unless that address names a control
 * plane of its own. An unknown name is a TypeError listing the valid ones.
 */
export function traceFromEnv(env: NodeJS.ProcessEnv, defaults: { client?: Client } = {}): Trace {
  const make = pickPlugin(
    traces,
    'trace store',
    env.MICRO_TRACE_STORE || 'micro',
    'MICRO_TRACE_STORE',
  );
  const address = env.MICRO_TRACE_ADDRESS || undefined;
  return make({
    ...(address && { address }),
    ...(defaults.client && !address && { client: defaults.client }),
  });
}

export { createMemoryTrace, createMicroTrace };
export { decodeOtlpJson } from './otlp.ts';
export { TRACE_BOUNDS, TRACE_LIMITS, boundsFromEnv } from './validate.ts';
export type * from './trace.ts';
export type { MicroTraceOptions } from './client.ts';
export type { TraceBounds } from './validate.ts';
export type { SqliteTraceOptions } from './sqlite.ts';

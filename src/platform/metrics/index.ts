// The metrics area's reading side: the fleet's figures per endpoint (metrics.ts), read from the
// control plane's `metrics` service (client.ts, what metricsFromEnv gives) or scraped in this
// process (memory.ts). MICRO_METRICS is not a choice of these: it turns a service's own counting
// on or off (enable.ts).
import type { Client } from '../../runtime/client/client.ts';
import { createMicroMetrics } from './client.ts';
import { createMemoryMetrics } from './memory.ts';
import type { Metrics } from './metrics.ts';

export type * from './metrics.ts';
export { LATENCY_BUCKETS } from './metrics.ts';
export { createMemoryMetrics, createMicroMetrics };
export { histogramQuantile } from './quantile.ts';
export type { MemoryMetrics, MemoryMetricsOptions } from './memory.ts';
export type { MicroMetricsOptions } from './client.ts';

/** The control plane's metrics through `client`, or at MICRO_METRICS_ADDRESS (a control plane) when set. */
export function metricsFromEnv(env: NodeJS.ProcessEnv, defaults: { client?: Client }): Metrics {
  return createMicroMetrics({
    ...defaults,
    ...(env.MICRO_METRICS_ADDRESS && { address: env.MICRO_METRICS_ADDRESS }),
  });
}

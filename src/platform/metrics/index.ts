// The metrics area: the fleet's figures per endpoint (metrics.ts), read from the control plane's
// `metrics` service (client.ts, the default) or scraped in this process (memory.ts), and the
// table of them that MICRO_METRICS picks from.
import type { Registry } from '../../registry/registry.ts';
import type { Client } from '../../runtime/client/client.ts';
import { pickPlugin } from '../../runtime/plugins.ts';
import { createMicroMetrics } from './client.ts';
import { createMemoryMetrics } from './memory.ts';
import type { Metrics } from './metrics.ts';

export type * from './metrics.ts';
export { LATENCY_BUCKETS } from './metrics.ts';
export { createMemoryMetrics, createMicroMetrics };
export { histogramQuantile } from './quantile.ts';
export type { MemoryMetrics, MemoryMetricsOptions } from './memory.ts';
export type { MicroMetricsOptions } from './client.ts';

/** What a Metrics of the table is made with. */
export interface MetricsDefaults {
  /** The caller's client. */
  client?: Client;
  /** A registry to scrape (needed by `memory`). */
  registry?: Registry;
  /** The control plane's address (MICRO_METRICS_ADDRESS). */
  address?: string;
}

/** The metrics by name: MICRO_METRICS picks from it. */
export const metricsAreas = {
  /** The control plane's `metrics` service; the default. */
  micro: (d: MetricsDefaults): Metrics => createMicroMetrics(d),
  /** Scraped in this process from the registry given, every 5 s. */
  memory: (d: MetricsDefaults): Metrics => {
    if (!d.registry || !d.client)
      throw new TypeError('MICRO_METRICS=memory needs a registry and a client to scrape with');
    return createMemoryMetrics({ registry: d.registry, client: d.client });
  },
} satisfies Record<string, (d: MetricsDefaults) => Metrics>;

/** The metrics MICRO_METRICS names (default `micro`, the control plane's), at MICRO_METRICS_ADDRESS. */
export function metricsFromEnv(env: NodeJS.ProcessEnv, defaults: MetricsDefaults): Metrics {
  const make = pickPlugin<(d: MetricsDefaults) => Metrics>(
    metricsAreas,
    'metrics',
    env.MICRO_METRICS || 'micro',
    'MICRO_METRICS',
  );
  return make({
    ...defaults,
    ...(env.MICRO_METRICS_ADDRESS && { address: env.MICRO_METRICS_ADDRESS }),
  });
}

// The control plane's `metrics` service: the `Metrics` handler serving a Metrics over RPC, and
// hostMetrics, which runs the scraper (memory.ts) over the control plane's registry and client:
// every MICRO_METRICS_INTERVAL ms (default 5000) it calls Debug.Metrics on every node and keeps
// MICRO_METRICS_WINDOW ms (default 15 minutes) of figures in memory, gone when the control plane
// stops (Prometheus is the long-term store). Query is a closed JSON object: an unknown field or a
// bad value is a 400 naming it.
import { closed, closedShape } from '../../runtime/server/closed.ts';
import { endpoint } from '../../runtime/server/declare.ts';
import type { Handler } from '../../runtime/server/handler.ts';
import type { HostContext, Hosted } from '../hosting.ts';
import { createMemoryMetrics, METRICS_DEFAULTS } from './memory.ts';
import type { Metrics } from './metrics.ts';
import { checkQuery, MAX_SERVICE, METRICS_ID } from './validate.ts';

/** The `Metrics` handler: Query ({service?, window?} -> MetricsReport). */
export function metricsHandler(metrics: Metrics, maxWindow: number): Handler {
  return {
    Query: endpoint(
      {
        request: closed(
          METRICS_ID,
          'Metrics.Query',
          closedShape({
            service: { type: 'string', minLength: 1, maxLength: MAX_SERVICE },
            window: {
              type: 'integer',
              minimum: 1000,
              maximum: maxWindow,
              description: 'ms of history (all kept when left out)',
            },
          }),
          (r) => checkQuery(r, maxWindow),
        ),
      },
      (req) => metrics.query(req),
    ),
  };
}

/** A whole number of ms from an environment variable, at least `min`; a TypeError otherwise. */
export function msFromEnv(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new TypeError(
      `${name} must be a whole number of milliseconds, at least ${min}; not ${JSON.stringify(raw.slice(0, 20))}`,
    );
  return n;
}

/** Hosts the metrics service: the scraper over the control plane's registry and client. */
export async function hostMetrics(context: HostContext): Promise<Hosted> {
  const { registry, client } = context;
  if (!registry || !client)
    throw new TypeError('the metrics service needs the control plane registry and client');
  const interval = msFromEnv(context.env, 'MICRO_METRICS_INTERVAL', METRICS_DEFAULTS.interval, 10);
  const window = msFromEnv(context.env, 'MICRO_METRICS_WINDOW', METRICS_DEFAULTS.window, 1000);
  const metrics = createMemoryMetrics({ registry, client, interval, window });
  return Promise.resolve({
    handlers: { Metrics: metricsHandler(metrics, window) },
    close: () => metrics.close(),
  });
}

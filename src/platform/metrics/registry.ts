// A service's Prometheus exposition: a prom-client Registry of its own (never prom-client's global
// one) whose series are computed on scrape from the plain counts of observer.ts, followed by Node's
// default metrics (collectDefaultMetrics, no prefix) from one registry per process, made on the
// first scrape: they describe the process, and each copy would run its own event-loop monitor and
// GC observer for ever. Served as `GET /metrics` (text format 0.0.4) on the service's port.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { MicroError, methodNotAllowed } from '../../runtime/errors.ts';
import { LATENCY_BUCKETS } from './metrics.ts';
import type { EndpointTally, RequestCounts } from './observer.ts';

/** One sample: its value, its labels, and its name when it differs from the metric's (`_bucket`). */
export interface Sample {
  value: number;
  labels: Record<string, string>;
  metricName?: string;
}

/** A metric whose samples are computed when scraped (prom-client renders it like its own). */
export function computedMetric(
  name: string,
  help: string,
  type: 'counter' | 'gauge' | 'histogram',
  samples: () => Sample[] | Promise<Sample[]>,
): Metric {
  // prom-client's Registry needs only name, get() and reset() of a metric.
  return {
    name,
    help,
    type,
    get: async () => ({ name, help, type, values: await samples(), aggregator: 'sum' }),
    reset: () => undefined,
  } as unknown as Metric;
}

/** A histogram's samples (`_bucket` cumulative with `+Inf`, `_sum`, `_count`) from per-bucket counts. */
export function histogramSamples(
  name: string,
  labels: Record<string, string>,
  buckets: ArrayLike<number>,
  bounds: readonly number[],
  sum: number,
): Sample[] {
  const out: Sample[] = [];
  let count = 0;
  for (let i = 0; i < bounds.length; i++) {
    count += buckets[i] ?? 0;
    out.push({
      metricName: `${name}_bucket`,
      value: count,
      labels: { ...labels, le: String(bounds[i]) },
    });
  }
  count += buckets[bounds.length] ?? 0;
  out.push({ metricName: `${name}_bucket`, value: count, labels: { ...labels, le: '+Inf' } });
  out.push({ metricName: `${name}_sum`, value: sum, labels });
  out.push({ metricName: `${name}_count`, value: count, labels });
  return out;
}

let processRegistry: Registry | undefined;

/** Node's default metrics, one registry per process, made on first use. */
export function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** The text exposition of a registry followed by the process's default metrics. */
export interface Exposition {
  contentType: string;
  body: string;
}

/** Renders the registries, then Node's default metrics, as one text exposition. */
export async function render(...registries: Registry[]): Promise<Exposition> {
  const parts = await Promise.all([...registries, processMetrics()].map((r) => r.metrics()));
  return { contentType: Registry.PROMETHEUS_CONTENT_TYPE, body: parts.join('\n') };
}

/** A series' labels. */
const of = (service: string, t: EndpointTally): Record<string, string> => ({
  service,
  endpoint: t.endpoint,
  kind: t.kind,
});

/** The registry of a service's request counts: the micro_* series of the contract. */
export function requestMetrics(counts: RequestCounts): Registry {
  const register = new Registry();
  const service = counts.service;
  const add = (m: Metric): void => register.registerMetric(m);
  add(
    computedMetric(
      'micro_requests_total',
      'Requests answered, by endpoint, kind (call, stream, event) and code (200 or the error code).',
      'counter',
      () =>
        counts.tallies().flatMap((t) =>
          [...t.codes].map(([code, value]) => ({
            value,
            labels: { ...of(service, t), code: String(code) },
          })),
        ),
    ),
  );
  add(
    computedMetric(
      'micro_request_duration_seconds',
      'Time from a request to its end (a stream: its whole life), by endpoint and kind.',
      'histogram',
      () =>
        counts
          .tallies()
          .flatMap((t) =>
            histogramSamples(
              'micro_request_duration_seconds',
              of(service, t),
              t.buckets,
              LATENCY_BUCKETS,
              t.sum,
            ),
          ),
    ),
  );
  add(
    computedMetric(
      'micro_requests_in_flight',
      'Requests being served now, by endpoint.',
      'gauge',
      () => {
        const byEndpoint = new Map<string, number>();
        for (const t of counts.tallies())
          byEndpoint.set(t.endpoint, (byEndpoint.get(t.endpoint) ?? 0) + t.inflight);
        return [...byEndpoint].map(([endpoint, value]) => ({
          value,
          labels: { service, endpoint },
        }));
      },
    ),
  );
  add(
    computedMetric('micro_streams_open', 'Streams open now.', 'gauge', () => [
      { value: counts.streams, labels: { service } },
    ]),
  );
  add(
    computedMetric(
      'micro_broker_messages_total',
      'Broker messages published by the service and delivered to its subscribers.',
      'counter',
      () => [
        { value: counts.published, labels: { service, direction: 'published' } },
        { value: counts.delivered, labels: { service, direction: 'delivered' } },
      ],
    ),
  );
  return register;
}

const ID = 'micro.metrics';

/** Answers an HTTP route's request with err in the error shape, its code the status. */
export function answerError(
  res: ServerResponse,
  err: MicroError,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify(err);
  res.writeHead(err.code, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/**
 * Answers `GET /metrics` (and HEAD) with what `expose` renders; other methods get 405. A failure
 * to render is a 500 with its message, never a crash.
 */
export function metricsRoute(
  expose: () => Promise<Exposition>,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return answerError(
        res,
        methodNotAllowed(ID, `${req.method ?? ''} is not supported: GET ${req.url ?? ''}`),
        { allow: 'GET, HEAD' },
      );
    expose().then(
      ({ contentType, body }) => {
        res.writeHead(200, {
          'content-type': contentType,
          'content-length': Buffer.byteLength(body),
          'cache-control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) =>
        answerError(res, new MicroError(ID, 500, `metrics failed: ${(err as Error).message}`)),
    );
  };
}

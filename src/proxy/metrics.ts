import { Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

/** What the gateway counts, exposed for Prometheus at `GET /metrics`. */
export interface GatewayMetrics {
  /** Records one finished request. */
  observe(
    handler: string,
    service: string,
    endpoint: string,
    status: number,
    seconds: number,
  ): void;
  /** Adds n (1 or -1) to the requests in flight. */
  inflight(n: number): void;
  /** Adds n (1 or -1) to the open WebSocket and SSE streams. */
  streams(n: number): void;
  /** The text exposition format and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  labels: Record<string, string>;
  count: number;
}

interface Timing {
  labels: Record<string, string>;
  buckets: number[];
  sum: number;
  count: number;
}

type Value = { value: number; labels: Record<string, string>; metricName?: string };

/** A metric prom-client renders from values the gateway keeps itself. */
function collector(
  name: string,
  help: string,
  type: 'counter' | 'histogram',
  values: () => Value[],
): Metric {
  // prom-client's Registry needs only name, get() and reset() of a metric.
  return {
    name,
    help,
    type,
    get: async () => ({ name, help, type, values: values(), aggregator: 'sum' }),
    reset: () => undefined,
  } as unknown as Metric;
}

/**
 * Creates the gateway's metrics in a registry of its own, with Node's default metrics. Requests
 * are counted in plain maps and turned into Prometheus series only when scraped: prom-client's
 * own counters hash their labels on every update, which costs more than the rest of the count.
 */
export function createMetrics(): GatewayMetrics {
  const register = new Registry();
  collectDefaultMetrics({ register });
  const requests = new Map<string, Series>();
  const timings = new Map<string, Timing>();
  const open = { requests: 0, streams: 0 };
  register.registerMetric(
    collector(
      'micro_api_requests_total',
      'Requests the API gateway answered, by handler, service, endpoint and HTTP status.',
      'counter',
      () => [...requests.values()].map((s) => ({ value: s.count, labels: s.labels })),
    ),
  );
  register.registerMetric(
    collector(
      'micro_api_request_duration_seconds',
      'Time from request to response, by handler and service.',
      'histogram',
      () =>
        [...timings.values()].flatMap((t) => {
          let cumulative = 0;
          const name = 'micro_api_request_duration_seconds';
          return [
            ...BUCKETS.map((le, i) => {
              cumulative += t.buckets[i] ?? 0;
              return {
                metricName: `${name}_bucket`,
                value: cumulative,
                labels: { ...t.labels, le: String(le) },
              };
            }),
            { metricName: `${name}_bucket`, value: t.count, labels: { ...t.labels, le: '+Inf' } },
            { metricName: `${name}_sum`, value: t.sum, labels: t.labels },
            { metricName: `${name}_count`, value: t.count, labels: t.labels },
          ];
        }),
    ),
  );
  new Gauge({
    name: 'micro_api_requests_in_flight',
    help: 'Requests being served.',
    registers: [register],
    collect() {
      this.set(open.requests);
    },
  });
  new Gauge({
    name: 'micro_api_streams_open',
    help: 'WebSocket and server-sent-event streams open.',
    registers: [register],
    collect() {
      this.set(open.streams);
    },
  });
  return {
    observe(handler, service, endpoint, status, seconds) {
      const key = `${handler} ${service} ${endpoint} ${status}`;
      let s = requests.get(key);
      if (!s) {
        if (requests.size > 10_000) requests.clear();
        requests.set(
          key,
          (s = { labels: { handler, service, endpoint, code: String(status) }, count: 0 }),
        );
      }
      s.count++;
      const tkey = `${handler} ${service}`;
      let t = timings.get(tkey);
      if (!t) {
        if (timings.size > 10_000) timings.clear();
        timings.set(
          tkey,
          (t = { labels: { handler, service }, buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }),
        );
      }
      const i = BUCKETS.findIndex((b) => seconds <= b);
      if (i >= 0) t.buckets[i] = (t.buckets[i] ?? 0) + 1;
      t.sum += seconds;
      t.count++;
    },
    inflight: (n) => void (open.requests += n),
    streams: (n) => void (open.streams += n),
    async render() {
      return { contentType: register.contentType, body: await register.metrics() };
    },
  };
}

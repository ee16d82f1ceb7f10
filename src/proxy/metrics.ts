import { Gauge, Registry } from 'prom-client';
import { registerCircuitMetrics } from '../platform/metrics/circuits.ts';
import { computedMetric, histogramSamples, render } from '../platform/metrics/registry.ts';
import type { CircuitInfo } from '../runtime/resilience/policy.ts';

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
  /** Adds n (1 or -1) to the requests in flight for one service's endpoint (once it is resolved). */
  endpointInflight(service: string, endpoint: string, n: number): void;
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

/**
 * Creates the gateway's metrics in a registry of its own, rendered with Node's default metrics
 * (the process's, shared with the services in the same process). Requests are
 * counted in plain maps and turned into Prometheus series only when scraped: prom-client's
 * own counters hash their labels on every update, which costs more than the rest of the count.
 * With `circuits` (its selector's), the micro_circuit_* series of its client too.
 */
export function createMetrics(circuits?: () => CircuitInfo[]): GatewayMetrics {
  const register = new Registry();
  if (circuits) registerCircuitMetrics(register, circuits);
  const requests = new Map<string, Series>();
  const timings = new Map<string, Timing>();
  const open = { requests: 0, streams: 0 };
  // Only endpoints with requests in flight are kept: bounded by the requests being served.
  const byEndpoint = new Map<string, { service: string; endpoint: string; n: number }>();
  register.registerMetric(
    computedMetric(
      'micro_api_requests_total',
      'Requests the API gateway answered, by handler, service, endpoint and HTTP status.',
      'counter',
      () => [...requests.values()].map((s) => ({ value: s.count, labels: s.labels })),
    ),
  );
  register.registerMetric(
    computedMetric(
      'micro_api_request_duration_seconds',
      'Time from request to response, by handler and service.',
      'histogram',
      () =>
        [...timings.values()].flatMap((t) =>
          histogramSamples(
            'micro_api_request_duration_seconds',
            t.labels,
            t.buckets,
            BUCKETS,
            t.sum,
          ),
        ),
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
  register.registerMetric(
    computedMetric(
      'micro_api_endpoint_requests_in_flight',
      'Requests being served, by the service and endpoint they were resolved to.',
      'gauge',
      () =>
        [...byEndpoint.values()].map((e) => ({
          value: e.n,
          labels: { service: e.service, endpoint: e.endpoint },
        })),
    ),
  );
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
          (t = {
            labels: { handler, service },
            buckets: [...BUCKETS.map(() => 0), 0],
            sum: 0,
            count: 0,
          }),
        );
      }
      // Past the last bound: the extra bucket at the end (+Inf).
      let i = BUCKETS.findIndex((b) => seconds <= b);
      if (i < 0) i = BUCKETS.length;
      t.buckets[i] = (t.buckets[i] ?? 0) + 1;
      t.sum += seconds;
      t.count++;
    },
    inflight: (n) => void (open.requests += n),
    endpointInflight(service, endpoint, n) {
      const key = `${service} ${endpoint}`;
      const e = byEndpoint.get(key);
      if (!e) {
        if (n > 0) byEndpoint.set(key, { service, endpoint, n });
        return;
      }
      e.n += n;
      if (e.n <= 0) byEndpoint.delete(key);
    },
    streams: (n) => void (open.streams += n),
    render: () => render(register),
  };
}

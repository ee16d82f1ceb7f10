// The sidecar's Prometheus metrics at `GET /metrics` (behind the same guard as every route: a web
// page is refused, and a token is needed when one is set): its requests by route template (never
// the raw path, so labels stay few), method and status, their latency (LATENCY_BUCKETS), requests
// in flight, its client's circuits (micro_circuit_*) when it is given them, then Node's default
// metrics. Counted in plain maps, rendered on scrape.
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { LATENCY_BUCKETS } from '../../platform/metrics/metrics.ts';
import { registerCircuitMetrics } from '../../platform/metrics/circuits.ts';
import { computedMetric, histogramSamples, render } from '../../platform/metrics/registry.ts';
import type { CircuitInfo } from '../../runtime/resilience/policy.ts';

interface RouteTally {
  route: string;
  codes: Map<string, number>;
  buckets: Float64Array;
  sum: number;
}

/** Counts the sidecar's requests and serves them at `GET /metrics`, with its client's circuits when given. */
export function registerSidecarMetrics(app: FastifyInstance, circuits?: () => CircuitInfo[]): void {
  const routes = new Map<string, RouteTally>();
  let inflight = 0;
  const register = new Registry();
  if (circuits) registerCircuitMetrics(register, circuits);
  register.registerMetric(
    computedMetric(
      'micro_sidecar_requests_total',
      'Requests the sidecar answered, by route template, method and HTTP status.',
      'counter',
      () =>
        [...routes.values()].flatMap((t) =>
          [...t.codes].map(([key, value]) => {
            const [method = '', code = ''] = key.split(' ');
            return { value, labels: { route: t.route, method, code } };
          }),
        ),
    ),
  );
  register.registerMetric(
    computedMetric(
      'micro_sidecar_request_duration_seconds',
      'Time from request to response, by route template.',
      'histogram',
      () =>
        [...routes.values()].flatMap((t) =>
          histogramSamples(
            'micro_sidecar_request_duration_seconds',
            { route: t.route },
            t.buckets,
            LATENCY_BUCKETS,
            t.sum,
          ),
        ),
    ),
  );
  register.registerMetric(
    computedMetric('micro_sidecar_requests_in_flight', 'Requests being served.', 'gauge', () => [
      { value: inflight, labels: {} },
    ]),
  );

  app.addHook('onRequest', (req, reply, done) => {
    inflight++;
    // 'close' comes once for every response, sent or abandoned.
    reply.raw.once('close', () => {
      inflight--;
      // Route templates only (`/:service/:endpoint`); unmatched paths count as `none`.
      const route = req.routeOptions.url ?? 'none';
      let t = routes.get(route);
      if (!t) {
        t = {
          route,
          codes: new Map(),
          buckets: new Float64Array(LATENCY_BUCKETS.length + 1),
          sum: 0,
        };
        routes.set(route, t);
      }
      const key = `${req.method} ${reply.raw.statusCode}`;
      t.codes.set(key, (t.codes.get(key) ?? 0) + 1);
      const seconds = reply.elapsedTime / 1000;
      let i = 0;
      while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
      t.buckets[i] = t.buckets[i]! + 1;
      t.sum += seconds;
    });
    done();
  });
  app.get('/metrics', async (_req, reply) => {
    const { contentType, body } = await render(register);
    return reply.type(contentType).header('cache-control', 'no-store').send(body);
  });
}

// The endpoint rows of `micro stats`: rates, errors, p50/p99 and in-flight requests of each
// endpoint from the metrics service, with a sparkline of its rate over the window.
import type { EndpointSeries, MetricsPoint } from '../../platform/metrics/metrics.ts';
import { table } from './output.ts';

const BARS = '▁▂▃▄▅▆▇█';

/** Characters of a sparkline at most. */
export const SPARK_WIDTH = 24;

/**
 * A unicode sparkline of the points' rates, oldest first: at most `width` characters, each the
 * mean of the points it stands for, scaled to the highest (all lowest when every rate is 0);
 * padded on the left to `width`, so that every row's newest point is in the same column.
 */
export function sparkline(points: MetricsPoint[], width = SPARK_WIDTH): string {
  if (points.length === 0) return '';
  const cells = Math.min(width, points.length);
  const values: number[] = [];
  for (let i = 0; i < cells; i++) {
    const from = Math.floor((i * points.length) / cells);
    const to = Math.max(from + 1, Math.floor(((i + 1) * points.length) / cells));
    const group = points.slice(from, to);
    values.push(group.reduce((a, p) => a + p.rate, 0) / group.length);
  }
  const max = Math.max(...values);
  return values
    .map((v) => BARS[max > 0 ? Math.round((v / max) * (BARS.length - 1)) : 0])
    .join('')
    .padStart(width);
}

/** Requests per second for people: 0, 0.25, 3.5, 12.4, 1520. */
export function perSecond(n: number): string {
  if (n === 0) return '0';
  if (n < 10) return String(Math.round(n * 100) / 100);
  if (n < 100) return n.toFixed(1);
  return String(Math.round(n));
}

/** Latency for people: `0.42 ms`, `17.5 ms`, `1.25 s`; `-` with no request. */
export function latency(ms: number, calls: number): string {
  if (calls === 0) return '-';
  if (ms >= 1000) return `${Math.round(ms / 10) / 100} s`;
  if (ms < 10) return `${Math.round(ms * 100) / 100} ms`;
  return `${Math.round(ms * 10) / 10} ms`;
}

/** The endpoints as a table; with `service` the SERVICE column is left out. */
export function endpointTable(
  endpoints: EndpointSeries[],
  window: string,
  service?: string,
): string {
  const header = [
    ...(service ? [] : ['SERVICE']),
    'ENDPOINT',
    'KIND',
    'REQ/S',
    'ERR/S',
    'P50',
    'P99',
    'IN FLIGHT',
    `RATE (${window})`,
  ];
  return table(
    header,
    endpoints.map((e) => [
      ...(service ? [] : [e.service]),
      e.endpoint,
      e.kind,
      perSecond(e.rate),
      perSecond(e.errorRate),
      latency(e.p50, e.calls),
      latency(e.p99, e.calls),
      String(e.inflight),
      sparkline(e.points),
    ]),
  );
}

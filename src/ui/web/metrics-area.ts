// The dashboard's route to the metrics area: GET /_/api/metrics?service=&window= answers the
// control plane's MetricsReport (rates, p50/p99, errors and points per endpoint), through the
// Metrics interface. The window is bounded by what the metrics service keeps (its 400 says so).
import type { Metrics } from '../../platform/metrics/metrics.ts';
import { areaGet, defined, optInt, optText, type AreaRoute } from './area-routes.ts';

/** The longest window the dashboard asks for, ms (the service's default keep). */
export const MAX_WINDOW = 24 * 3_600_000;

/** The metrics area's routes, by path under /_/api/. */
export const METRICS_ROUTES: Readonly<Record<string, AreaRoute<Metrics>>> = {
  metrics: areaGet({ service: 'text', window: 'number' }, (metrics, r) =>
    metrics.query(
      defined({
        service: optText(r, 'service', 255),
        window: optInt(r, 'window', 1000, MAX_WINDOW),
      }),
    ),
  ),
};

// What the metrics service takes from outside: a node's Debug.Metrics answer (any node may answer
// anything: what is not a well-formed count is left out, never stored) and a Query's fields.
import { badRequest } from '../../runtime/errors.ts';
import { LATENCY_BUCKETS, type EndpointCounts } from './metrics.ts';

/** The metrics service's error id. */
export const METRICS_ID = 'micro.metrics';

/** Endpoints taken from one node's answer at most. */
export const MAX_NODE_ENDPOINTS = 256;
/** Characters of an endpoint's name at most. */
export const MAX_ENDPOINT = 256;
/** Characters of a service's name at most in a query. */
export const MAX_SERVICE = 255;

const KINDS = new Set(['call', 'stream', 'event']);
const count = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** One endpoint's counts, if well formed: buckets of LATENCY_BUCKETS, +Inf optional. */
function endpointCounts(v: unknown): EndpointCounts | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const e = v as Record<string, unknown>;
  const { endpoint, kind, calls, errors, cancelled, inflight, buckets, sum } = e;
  if (typeof endpoint !== 'string' || endpoint === '' || endpoint.length > MAX_ENDPOINT)
    return undefined;
  if (![calls, errors, inflight, sum].every(count)) return undefined;
  if (
    !Array.isArray(buckets) ||
    (buckets.length !== LATENCY_BUCKETS.length && buckets.length !== LATENCY_BUCKETS.length + 1) ||
    !buckets.every(count)
  )
    return undefined;
  return {
    endpoint,
    kind: typeof kind === 'string' && KINDS.has(kind) ? (kind as EndpointCounts['kind']) : 'call',
    calls: calls as number,
    errors: errors as number,
    cancelled: count(cancelled) ? cancelled : 0,
    inflight: inflight as number,
    buckets: buckets,
    sum: sum as number,
  };
}

/** The well-formed endpoint counts of a Debug.Metrics answer (none when it is not one). */
export function answeredCounts(body: unknown): EndpointCounts[] {
  const list = (body as { endpoints?: unknown } | null)?.endpoints;
  if (!Array.isArray(list)) return [];
  const out: EndpointCounts[] = [];
  const names = new Set<string>();
  for (const item of list.slice(0, MAX_NODE_ENDPOINTS)) {
    const c = endpointCounts(item);
    if (c && !names.has(c.endpoint)) {
      names.add(c.endpoint);
      out.push(c);
    }
  }
  return out;
}

/** A Query's fields, checked: a service name and a window of 1 s up to `max` ms. */
export function checkQuery(
  req: Record<string, unknown>,
  max: number,
): { service?: string; window?: number } {
  for (const key of Object.keys(req))
    if (key !== 'service' && key !== 'window')
      throw badRequest(
        METRICS_ID,
        `${key.slice(0, 40)} is not a field of a query; it takes service and window`,
      );
  const { service, window } = req;
  if (
    service !== undefined &&
    (typeof service !== 'string' || service === '' || service.length > MAX_SERVICE)
  )
    throw badRequest(METRICS_ID, `service must be a name of 1 to ${MAX_SERVICE} characters`);
  if (
    window !== undefined &&
    (typeof window !== 'number' || !Number.isInteger(window) || window < 1000 || window > max)
  )
    throw badRequest(
      METRICS_ID,
      `window must be a whole number of ms from 1000 to ${max} (MICRO_METRICS_WINDOW), not ${String(JSON.stringify(window)).slice(0, 20)}`,
    );
  return {
    ...(service !== undefined && { service }),
    ...(window !== undefined && { window }),
  };
}

// micro's additions to a Dapr Resiliency resource, checked and turned into the runtime's shapes:
// spec.policies.bulkheads, retryBudgets and hedges (durations as Go strings or ms). Errors are
// TypeErrors naming the file and the path in it.
import type {
  BulkheadOptions,
  HedgeOptions,
  RetryBudgetOptions,
} from '../../runtime/resilience/policy.ts';
import {
  describe,
  duration,
  integer,
  invalid,
  mapping,
  onlyKeys,
  share,
  under,
  type Place,
} from './policy-dapr.ts';

/** micro's bulkhead: maxInFlight, perEndpoint, maxQueue, queueTimeout. */
export function bulkheadPolicy(value: unknown, at: Place): BulkheadOptions {
  const b = mapping(value, at);
  onlyKeys(b, ['maxInFlight', 'perEndpoint', 'maxQueue', 'queueTimeout'], at);
  const out: BulkheadOptions = {};
  if (b.maxInFlight !== undefined)
    out.maxInFlight = integer(b.maxInFlight, under(at, 'maxInFlight'), 1);
  if (b.perEndpoint !== undefined)
    out.perEndpoint = integer(b.perEndpoint, under(at, 'perEndpoint'), 1);
  if (b.maxQueue !== undefined) out.maxQueue = integer(b.maxQueue, under(at, 'maxQueue'), 0);
  if (b.queueTimeout !== undefined)
    out.queueTimeout = duration(b.queueTimeout, under(at, 'queueTimeout'));
  if (out.maxInFlight === undefined && out.perEndpoint === undefined)
    throw invalid(at, 'give maxInFlight or perEndpoint (calls in flight at once)');
  return out;
}

/** micro's retry budget: ratio, minPerSecond, window. */
export function budgetPolicy(value: unknown, at: Place): RetryBudgetOptions {
  const b = mapping(value, at);
  onlyKeys(b, ['ratio', 'minPerSecond', 'window'], at);
  const out: RetryBudgetOptions = {};
  if (b.ratio !== undefined) out.ratio = share(b.ratio, under(at, 'ratio'));
  if (b.minPerSecond !== undefined)
    out.minPerSecond = integer(b.minPerSecond, under(at, 'minPerSecond'), 0);
  if (b.window !== undefined) {
    out.window = duration(b.window, under(at, 'window'));
    if (out.window <= 0) throw invalid(under(at, 'window'), 'must be more than 0');
  }
  return out;
}

/** micro's hedge: delay, minDelay, max, endpoints. */
export function hedgePolicy(value: unknown, at: Place): HedgeOptions {
  const h = mapping(value, at);
  onlyKeys(h, ['delay', 'minDelay', 'max', 'endpoints'], at);
  const out: HedgeOptions = {};
  if (h.delay !== undefined) out.delay = duration(h.delay, under(at, 'delay'));
  if (h.minDelay !== undefined) out.minDelay = duration(h.minDelay, under(at, 'minDelay'));
  if (h.max !== undefined) out.max = integer(h.max, under(at, 'max'), 1, 10);
  if (h.endpoints !== undefined) {
    const list = h.endpoints;
    if (!Array.isArray(list) || list.length === 0)
      throw invalid(under(at, 'endpoints'), 'must be a list of endpoints like Say.Hello');
    out.endpoints = list.map((e, i) => {
      if (typeof e !== 'string' || !/^[\w.-]+$/.test(e))
        throw invalid(
          { file: at.file, path: `${under(at, 'endpoints').path}[${i}]` },
          `must be an endpoint like Say.Hello, not ${describe(e)}`,
        );
      return e;
    });
  }
  return out;
}

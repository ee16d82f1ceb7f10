// Hedged requests and what the client keeps per target for them and for retries. A hedged call
// starts one attempt; each time `delay` ms pass without an answer (default: the endpoint's recent
// p95, at least minDelay), one more goes to another node than those in flight, up to `max` more,
// each taking one retry from the target's budget. The first success wins and the others are
// aborted (the transport cancels them on the wire where it can). Limits: an attempt that fails
// while others are in flight just leaves them running; when all have failed, the call's retry
// loop decides (with backoff and the budget) as for any attempt. Only hedge idempotent endpoints.

import { timerDelay } from '../deadline.ts';
import type { MicroError } from '../errors.ts';
import type { Filter } from '../selector/selector.ts';
import { RetryBudget } from './budget.ts';
import type { LatencyRing } from './latency.ts';
import { targetPolicy, type HedgeOptions, type ResiliencyPolicy } from './policy.ts';

/** What one attempt gave: a value, or the error it failed with. */
export type Attempt<T> = { value: T; error?: undefined } | { error: MicroError };

/**
 * Runs one attempt: it picks a node whose id is not in `busy` and adds the id it picked; `signal`
 * aborts it (its call is then cancelled). It never rejects.
 */
export type AttemptFunc<T> = (busy: Set<string>, signal: AbortSignal) => Promise<Attempt<T>>;

/** Hedging's defaults: the least delay taken from the p95 (5 ms) and one hedge at most. */
export const HEDGE_DEFAULTS = { minDelay: 5, max: 1 } as const;

/** What the client applies to calls to one target: its retry budget and its policy's hedge. */
export interface Target {
  /** Undefined when the policy turns the budget off. */
  readonly budget: RetryBudget | undefined;
  /** The target policy's hedge, if any. */
  readonly hedge: HedgeOptions | undefined;
}

const MAX_TARGETS = 10_000;

/** The Target of each service, made from the policy at the first call to it (then kept). */
export class Targets {
  readonly #policy: ResiliencyPolicy | undefined;
  readonly #targets = new Map<string, Target>();

  /** policy: the client's resiliency policy (its `retryBudget` and `hedge` per target). */
  constructor(policy: ResiliencyPolicy | undefined) {
    this.#policy = policy;
  }

  /** The Target of a service. */
  of(service: string): Target {
    let t = this.#targets.get(service);
    if (t) return t;
    const p = targetPolicy(this.#policy, service);
    t = {
      budget: p?.retryBudget === false ? undefined : new RetryBudget(p?.retryBudget),
      hedge: p?.hedge,
    };
    // A bound on services called: the oldest target starts again with a fresh budget.
    if (this.#targets.size >= MAX_TARGETS)
      this.#targets.delete(this.#targets.keys().next().value as string);
    this.#targets.set(service, t);
    return t;
  }
}

/**
 * Whether a call may be hedged, and how: the call's own `hedge` (false: never) over the target
 * policy's; never a call `pinned` to one node (its options give a node or an address). The endpoint
 * must be in `endpoints` when they are listed; otherwise a policy's hedge needs the endpoint marked
 * idempotent (asked only when a hedge is due), a call's own does not.
 */
export function hedgeOf(
  own: HedgeOptions | false | undefined,
  policy: HedgeOptions | undefined,
  pinned = false,
): { options: HedgeOptions; needsIdempotent: boolean } | undefined {
  if (own === false || pinned) return undefined;
  if (own) return { options: own, needsIdempotent: false };
  if (policy) return { options: policy, needsIdempotent: policy.endpoints === undefined };
  return undefined;
}

/** How a hedged call goes, besides its attempts. */
export interface HedgePlan {
  /** The hedge options that apply. */
  options: HedgeOptions;
  /** The endpoint called (`Handler.Method`), matched against `options.endpoints`. */
  endpoint: string;
  /** Its recent latencies: the default delay, and where the winner's latency is recorded. */
  ring: LatencyRing;
  /** Asked before each hedge: may one be made now (idempotent endpoint, budget left, time left)? */
  allow: () => boolean;
}

/** The ms before the first hedge; undefined: no hedge (endpoint not listed, or no p95 yet). */
export function hedgeDelay(plan: HedgePlan): number | undefined {
  const o = plan.options;
  if (o.endpoints && !o.endpoints.includes(plan.endpoint)) return undefined;
  if (o.delay !== undefined) return Math.max(0, o.delay);
  const p95 = plan.ring.p95();
  return p95 === undefined ? undefined : Math.max(p95, o.minDelay ?? HEDGE_DEFAULTS.minDelay);
}

/**
 * Runs an attempt and, while none has succeeded, up to `max` hedges `delay` ms apart; resolves
 * with the first success (the others aborted), or with the last failure once every attempt made
 * has failed.
 */
export function hedged<T>(attempt: AttemptFunc<T>, plan: HedgePlan): Promise<Attempt<T>> {
  const delay = hedgeDelay(plan);
  const max = plan.options.max ?? HEDGE_DEFAULTS.max;
  const busy = new Set<string>();
  const running: AbortController[] = [];
  let hedges = 0;
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  // The call's latency is timed from its first attempt: a hedge's own (shorter) time would pull
  // the p95, and so the delay, down until most calls were hedged.
  const first = performance.now();
  return new Promise((resolve) => {
    const finish = (r: Attempt<T>, winner?: AbortController): void => {
      settled = true;
      clearTimeout(timer);
      for (const c of running) if (c !== winner) c.abort();
      resolve(r);
    };
    const launch = (): void => {
      const c = new AbortController();
      running.push(c);
      void attempt(busy, c.signal).then((r) => {
        running.splice(running.indexOf(c), 1);
        if (settled) return;
        if (r.error === undefined) {
          plan.ring.record(performance.now() - first);
          finish(r, c);
        } else if (running.length === 0) finish(r);
      });
    };
    const schedule = (): void => {
      if (delay === undefined || hedges >= max) return;
      timer = setTimeout(() => {
        if (settled || !plan.allow()) return;
        hedges++;
        launch();
        schedule();
      }, timerDelay(delay));
    };
    launch();
    schedule();
  });
}

/** A selector filter that leaves out the nodes in `busy` (a hedge's node is another one). */
export function exceptNodes(busy: ReadonlySet<string>): Filter {
  return (services) =>
    services
      .map((s) => ({ ...s, nodes: s.nodes.filter((n) => !busy.has(n.id)) }))
      .filter((s) => s.nodes.length > 0);
}

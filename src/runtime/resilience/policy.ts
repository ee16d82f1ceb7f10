// Resiliency policy: what a client applies per target service (timeouts, retries, a circuit breaker
// per node, a bulkhead, a retry budget, hedging) and what a server applies per caller (calls in
// flight, a queue, a rate). The runtime reads these shapes; where they come from (a Dapr-style
// resiliency file, MICRO_RESILIENCY) is the platform's business (src/platform/routing/policy-file.ts).

/** The states of a node's circuit breaker. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * A circuit breaker per node of a target service. A node's circuit opens after `failures` failures
 * in a row, or when at least `minCalls` calls in the last `window` ms failed at a share of `ratio`
 * or more; an open node is skipped by the selector for `openFor` ms (doubling each time a probe
 * fails, up to `maxOpenFor`), then half-open: up to `probes` calls go through, and the first success
 * closes it. Failures are connection errors, timeouts and 5xx answers; 4xx never count.
 */
export interface BreakerOptions {
  /** Failures in a row that open the circuit (default 5; 0 turns this trigger off). */
  failures?: number;
  /** Share of failed calls in the window that opens the circuit (default 0.5; 0 turns this trigger off). */
  ratio?: number;
  /** The window the ratio is measured over, in ms (default 10 s). */
  window?: number;
  /** Calls in the window below which the ratio is not judged (default 20). */
  minCalls?: number;
  /** How long an open circuit stays open before its half-open probes, in ms (default 5 s). */
  openFor?: number;
  /** The longest open period, after doubling (default 60 s). */
  maxOpenFor?: number;
  /** Calls let through at once while half-open (default 1). */
  probes?: number;
}

/** A node's circuit as the client sees it: for `micro stats`, the dashboard and metrics. */
export interface CircuitInfo {
  /** The target service. */
  service: string;
  /** The node's id. */
  node: string;
  /** The node's address. */
  address: string;
  /** Its state now. */
  state: CircuitState;
  /** Failures in a row so far. */
  failures: number;
  /** When it opened last (ms since the epoch), if it has. */
  openedAt?: number;
  /** When an open circuit next lets a probe through (ms since the epoch). */
  retryAt?: number;
  /** How many times it has opened. */
  opened: number;
}

/**
 * Client-side bulkhead: at most `maxInFlight` calls at once to a target service (and, with
 * `perEndpoint`, to each of its endpoints), up to `maxQueue` more waiting at most `queueTimeout` ms;
 * past that a call fails at once with a 503 and a retry-after.
 */
export interface BulkheadOptions {
  /** Calls in flight at once per target service (default: no limit). */
  maxInFlight?: number;
  /** Calls in flight at once per endpoint of the target (default: no limit). */
  perEndpoint?: number;
  /** Calls waiting for a slot (default 0: none wait). */
  maxQueue?: number;
  /** How long a queued call waits for a slot, in ms (default 1000; never past its deadline). */
  queueTimeout?: number;
}

/**
 * A retry budget (as in Finagle and Linkerd): retries to a target are allowed while they stay under
 * `ratio` of the calls made to it in the last `window` ms, plus `minPerSecond` retries a second, so
 * a failing service is not hammered with retries; a retry past the budget is not made (the call
 * fails with its last error).
 */
export interface RetryBudgetOptions {
  /** Retries as a share of recent calls (default 0.2). */
  ratio?: number;
  /** Retries always allowed per second (default 10). */
  minPerSecond?: number;
  /** The window calls are counted over, in ms (default 10 s). */
  window?: number;
}

/**
 * Hedged requests for idempotent endpoints: when the first attempt has not answered after `delay`
 * ms (default: the endpoint's p95 latency as this client measured it, at least `minDelay`), another
 * attempt goes to another node; the first answer wins and the others are cancelled. Hedges count
 * against the retry budget.
 */
export interface HedgeOptions {
  /** Milliseconds before a hedge (default: the endpoint's recent p95, at least minDelay). */
  delay?: number;
  /** The least delay when it comes from the p95 (default 5 ms). */
  minDelay?: number;
  /** Extra attempts at most (default 1). */
  max?: number;
  /** Only these endpoints (`Handler.Method`); default: every endpoint marked idempotent. */
  endpoints?: string[];
}

/** What a client applies to calls to one target service. */
export interface TargetPolicy {
  /** Total ms per call, retries included (the call's own timeout wins when given). */
  timeout?: number;
  /**
   * Ms per attempt (Dapr's `timeout`): an attempt with no answer by then is given up as a 504 and
   * retried like any 5xx while the call has time. Without `timeout`, a call's total is then
   * attemptTimeout × (retries + 1) plus the backoff waits, at most 5 minutes.
   */
  attemptTimeout?: number;
  /** Further attempts after a retryable failure (the call's own wins when given). */
  retries?: number;
  /** Ms before attempt n (n >= 1). */
  backoff?: (attempt: number) => number;
  /** The circuit breaker of each node of the target; false: none. */
  breaker?: BreakerOptions | false;
  /** The bulkhead in front of the target. */
  bulkhead?: BulkheadOptions;
  /** The retry budget of the target; false: none (every retry allowed). */
  retryBudget?: RetryBudgetOptions | false;
  /** Hedged requests (off unless given). */
  hedge?: HedgeOptions;
}

/** Policies by target service; `default` applies to every service with none of its own. */
export interface ResiliencyPolicy {
  /** Applied to targets with no entry of their own. */
  default?: TargetPolicy;
  /** By target service name. */
  targets?: Record<string, TargetPolicy>;
}

/** The policy that applies to one target: its own entry over the default's. */
export function targetPolicy(
  policy: ResiliencyPolicy | undefined,
  service: string,
): TargetPolicy | undefined {
  if (!policy) return undefined;
  const own =
    policy.targets && Object.hasOwn(policy.targets, service) ? policy.targets[service] : undefined;
  if (!own) return policy.default;
  if (!policy.default) return own;
  return { ...policy.default, ...own };
}

/**
 * What a server applies per caller (the guard's caller id, else the calling service named in
 * `micro-from-service`, else the peer's host): at most `maxInFlight` of its calls and streams at
 * once, up to `maxQueue` more waiting at most `queueTimeout` ms, and at most `rate` a second in
 * bursts of `burst`. Past them: a 429 with a retry-after.
 */
export interface CallerLimits {
  /** Calls and streams in flight at once per caller (default: no limit). */
  maxInFlight?: number;
  /** Calls waiting for a slot per caller (default 0). */
  maxQueue?: number;
  /** How long a queued call waits, in ms (default 1000; never past its deadline). */
  queueTimeout?: number;
  /** Calls a second per caller (default: no limit). */
  rate?: number;
  /** The burst above the rate (default: the rate, at least 1). */
  burst?: number;
}

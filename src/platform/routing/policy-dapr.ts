// The pieces of a Dapr Resiliency resource, each checked and turned into the runtime's shapes: Go
// durations, retry policies (constant or exponential back-off, maxRetries -1), circuit breakers
// (the `trip` CEL expressions `consecutiveFailures > N` and `>= N` only). Every error is a TypeError naming the file and the path in
// it; what micro cannot honour is returned as a warning naming it, never dropped silently.
import type { BreakerOptions } from '../../runtime/resilience/policy.ts';

/** Retries micro makes for Dapr's `maxRetries: -1` (unlimited): in practice the call's timeout ends them first. */
export const UNLIMITED_RETRIES = 100;

/** Where a value is: the file and the path in it, for errors and warnings. */
export interface Place {
  /** The file (as given). */
  file: string;
  /** The dotted path in it (`spec.policies.retries.fast.duration`). */
  path: string;
}

/** A TypeError naming the file, the path in it and what is wrong. */
export function invalid(at: Place, what: string): TypeError {
  return new TypeError(`resiliency file ${at.file}: ${at.path}: ${what}`);
}

/** The place one key further down. */
export const under = (at: Place, key: string): Place => ({
  file: at.file,
  path: /^[\w-]+$/.test(key) ? `${at.path}.${key}` : `${at.path}[${JSON.stringify(key)}]`,
});

/** A mapping (a plain object), else a TypeError. */
export function mapping(value: unknown, at: Place): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(at, `must be a mapping, not ${describe(value)}`);
  return value as Record<string, unknown>;
}

/** Refuses keys other than the known ones, listing them. */
export function onlyKeys(
  value: Record<string, unknown>,
  known: readonly string[],
  at: Place,
): void {
  for (const key of Object.keys(value))
    if (!known.includes(key))
      throw invalid(under(at, key), `unknown key; expected one of ${known.join(', ')}`);
}

/** How a value reads in an error: quoted text, a mapping, a list, a number. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string')
    return `"${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  return typeof value === 'object' ? 'a mapping' : (JSON.stringify(value) ?? typeof value);
}

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Milliseconds of a duration: a Go duration string (`300ms`, `1.5s`, `1h30m`, `0`) as Dapr reads
 * them, or a number of milliseconds; negative ones are refused.
 */
export function duration(value: unknown, at: Place): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw invalid(at, `${value} is not a duration: give a number of ms >= 0 or a string like 5s`);
    return value;
  }
  if (typeof value !== 'string')
    throw invalid(at, `must be a duration like 500ms, 5s or 1m30s, not ${describe(value)}`);
  const text = value.trim();
  if (text === '0') return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let ms = 0;
  let i = 0;
  while (i < text.length) {
    part.lastIndex = i;
    const m = part.exec(text);
    if (!m) break;
    ms += Number(m[1]) * (UNITS[m[2] ?? ''] ?? Number.NaN);
    i = part.lastIndex;
  }
  if (text === '' || i !== text.length || !Number.isFinite(ms))
    throw invalid(
      at,
      `${describe(value)} is not a duration: use Go's form, a number and a unit (ns, us, ms, s, m, h), like 500ms, 5s or 1m30s`,
    );
  return ms;
}

/** A whole number within bounds. */
export function integer(
  value: unknown,
  at: Place,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalid(
      at,
      `must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, not ${describe(value)}`,
    );
  return value;
}

/** A number from 0 to 1. */
export function share(value: unknown, at: Place): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1)
    throw invalid(at, `must be a number from 0 to 1, not ${describe(value)}`);
  return value;
}

/** What a retry policy becomes: the client's retries and back-off. */
export interface RetrySpec {
  /** Further attempts (maxRetries; -1 becomes UNLIMITED_RETRIES). */
  retries: number;
  /** Ms before attempt n. */
  backoff: (attempt: number) => number;
  /** The wait before the first retry, when it is always the same (constant back-off). */
  firstWait?: number;
}

/**
 * A Dapr retry policy: `policy` constant (default; `duration` between tries, default 5s) or
 * exponential (500 ms growing 1.5 times per try with +-50% jitter, up to `maxInterval`, default
 * 60s), `maxRetries` (default -1: unlimited). `matching` is not applied: a warning says so.
 */
export function retryPolicy(value: unknown, at: Place, warn: (m: string) => void): RetrySpec {
  const r = mapping(value, at);
  onlyKeys(r, ['policy', 'duration', 'maxInterval', 'maxRetries', 'matching'], at);
  const kind = r.policy ?? 'constant';
  if (kind !== 'constant' && kind !== 'exponential')
    throw invalid(under(at, 'policy'), `must be constant or exponential, not ${describe(kind)}`);
  const max = r.maxRetries === undefined ? -1 : integer(r.maxRetries, under(at, 'maxRetries'), -1);
  const retries = max === -1 ? UNLIMITED_RETRIES : max;
  if (r.matching !== undefined) {
    mapping(r.matching, under(at, 'matching'));
    warn(
      `${under(at, 'matching').path} is not applied: micro retries connection errors, 408 and 5xx answers, whatever the status codes listed`,
    );
  }
  if (kind === 'constant') {
    if (r.maxInterval !== undefined)
      warn(`${under(at, 'maxInterval').path} is not used: it applies to exponential back-off only`);
    const wait = r.duration === undefined ? 5000 : duration(r.duration, under(at, 'duration'));
    return { retries, backoff: () => wait, firstWait: wait };
  }
  if (r.duration !== undefined)
    warn(`${under(at, 'duration').path} is not used: it applies to constant back-off only`);
  const cap =
    r.maxInterval === undefined ? 60_000 : duration(r.maxInterval, under(at, 'maxInterval'));
  return {
    retries,
    backoff: (attempt) =>
      Math.min(cap, 500 * 1.5 ** Math.max(0, attempt - 1) * (0.5 + Math.random())),
  };
}

/** The failures in a row a `trip` expression means: `consecutiveFailures > N` or `>= N`. */
export function trip(value: unknown, at: Place): number {
  if (typeof value !== 'string')
    throw invalid(
      at,
      `must be an expression like "consecutiveFailures > 5", not ${describe(value)}`,
    );
  const m = /^\s*consecutiveFailures\s*(>=|>)\s*(\d+)\s*$/.exec(value);
  if (!m)
    throw invalid(
      at,
      `${describe(value)} is not supported: micro's breaker trips on consecutiveFailures > N or consecutiveFailures >= N only (requests, totalFailures and other CEL are not)`,
    );
  const n = Number(m[2]) + (m[1] === '>' ? 1 : 0);
  if (n < 1) throw invalid(at, `${describe(value)} would trip before any failure`);
  return n;
}

/**
 * A Dapr circuit breaker: maxRequests -> probes (default 1), timeout -> openFor (default 60s, not
 * doubled as Dapr does not; micro's `maxTimeout` lets it double), trip -> failures (default
 * `consecutiveFailures > 5`), interval -> window. micro's `ratio` and `minCalls` may be added;
 * without them only the trip expression opens a circuit, as in Dapr.
 */
export function breakerPolicy(
  value: unknown,
  at: Place,
  warn: (m: string) => void,
): BreakerOptions {
  const b = mapping(value, at);
  onlyKeys(
    b,
    ['maxRequests', 'interval', 'timeout', 'trip', 'ratio', 'minCalls', 'maxTimeout'],
    at,
  );
  const openFor = b.timeout === undefined ? 60_000 : duration(b.timeout, under(at, 'timeout'));
  if (openFor <= 0) throw invalid(under(at, 'timeout'), 'must be more than 0');
  const out: BreakerOptions = {
    failures: b.trip === undefined ? 6 : trip(b.trip, under(at, 'trip')),
    probes: b.maxRequests === undefined ? 1 : integer(b.maxRequests, under(at, 'maxRequests'), 1),
    openFor,
    maxOpenFor:
      b.maxTimeout === undefined ? openFor : duration(b.maxTimeout, under(at, 'maxTimeout')),
    ratio: b.ratio === undefined ? 0 : share(b.ratio, under(at, 'ratio')),
  };
  if ((out.maxOpenFor ?? 0) < openFor)
    throw invalid(under(at, 'maxTimeout'), 'must not be less than timeout');
  if (b.minCalls !== undefined) out.minCalls = integer(b.minCalls, under(at, 'minCalls'), 1);
  const interval = b.interval === undefined ? 0 : duration(b.interval, under(at, 'interval'));
  if (interval > 0) {
    out.window = interval;
    if (out.ratio === 0)
      warn(
        `${under(at, 'interval').path} is not applied: micro counts failures in a row without clearing them on a timer; the interval is only the window of micro's ratio, which this breaker does not set`,
      );
  }
  return out;
}

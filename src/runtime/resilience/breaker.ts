// A circuit breaker for one node: closed, open after `failures` failures in a row or a failure
// ratio over a sliding window, half-open when its open period ends (a few probe calls), closed
// again by a probe's success or reopened, for twice as long, by its failure. The clock is
// injectable so the state machine is tested without waiting. Guarantees and limits: the window is
// ten buckets of window/10 ms (a call is forgotten between 0.9 and 1 window after it ended);
// `probes` bounds the calls begun while half-open, and calls selected at the same instant may pass
// it by the few already picked; results of calls that end while the circuit is open are ignored.

import type { BreakerOptions, CircuitState } from './policy.ts';

/** BreakerOptions with every default filled in. */
export type ResolvedBreakerOptions = Required<BreakerOptions>;

/** The defaults of BreakerOptions (see its doc comment). */
export const BREAKER_DEFAULTS: Readonly<ResolvedBreakerOptions> = Object.freeze({
  failures: 5,
  ratio: 0.5,
  window: 10_000,
  minCalls: 20,
  openFor: 5000,
  maxOpenFor: 60_000,
  probes: 1,
});

const check = (o: ResolvedBreakerOptions): void => {
  const bad = (field: string, what: string): never => {
    throw new TypeError(`breaker.${field} must be ${what}`);
  };
  const count = (v: number): boolean => Number.isInteger(v) && v >= 0;
  if (!count(o.failures)) bad('failures', 'a whole number >= 0');
  if (!(o.ratio >= 0 && o.ratio <= 1)) bad('ratio', 'between 0 and 1');
  if (!(Number.isFinite(o.window) && o.window > 0)) bad('window', 'a number of ms > 0');
  if (!count(o.minCalls)) bad('minCalls', 'a whole number >= 0');
  if (!(Number.isFinite(o.openFor) && o.openFor > 0)) bad('openFor', 'a number of ms > 0');
  if (!(Number.isFinite(o.maxOpenFor) && o.maxOpenFor > 0)) bad('maxOpenFor', 'a number of ms > 0');
  if (!(Number.isInteger(o.probes) && o.probes >= 1)) bad('probes', 'a whole number >= 1');
};

/**
 * The breaker options that apply, from the least to the most specific layer (e.g. the selector's,
 * then the target policy's): the last layer that is false turns the breaker off; the objects after
 * it are merged field by field over the defaults. Throws a TypeError naming a bad field.
 */
export function resolveBreaker(
  ...layers: (BreakerOptions | false | undefined)[]
): ResolvedBreakerOptions | false {
  let out: ResolvedBreakerOptions | false = { ...BREAKER_DEFAULTS };
  for (const l of layers) {
    if (l === false) out = false;
    else if (l) out = { ...(out || BREAKER_DEFAULTS), ...definedOnly(l) };
  }
  if (out) check(out);
  return out;
}

const definedOnly = (o: BreakerOptions): BreakerOptions =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/**
 * How a call's end counts for its node: true a success, false a failure, undefined neither. A
 * failure is an error with code >= 500 (the client's 502/503 for connection faults included), a
 * 408 made by the client (`micro.client`: no answer in time) or an error with no code (a transport
 * fault); any other 4xx is the node answering; a 499 (the caller cancelled) says nothing.
 */
export function outcome(error?: Error): boolean | undefined {
  if (!error) return true;
  const { code, id } = error as { code?: unknown; id?: unknown };
  if (typeof code !== 'number') return false;
  if (code === 499) return undefined;
  if (code >= 500) return false;
  return !(code === 408 && id === 'micro.client');
}

const BUCKETS = 10;

/** The circuit of one node. */
export class Breaker {
  /** failures in a row so far. */
  failures = 0;
  /** How many times it has opened. */
  opened = 0;
  /** When it opened last (clock ms). */
  openedAt: number | undefined;
  /** When an open circuit admits probes (clock ms). */
  retryAt = 0;
  #state: CircuitState = 'closed';
  #openFor: number;
  #probing = 0;
  readonly #o: ResolvedBreakerOptions;
  readonly #now: () => number;
  readonly #width: number;
  readonly #calls: number[];
  readonly #fails: number[];
  #slot = 0;
  #inCalls = 0;
  #inFails = 0;

  /** A closed breaker; `now` is its clock (ms, Date.now by default). */
  constructor(options: ResolvedBreakerOptions, now: () => number = Date.now) {
    this.#o = options;
    this.#now = now;
    this.#openFor = options.openFor;
    this.#width = options.window / BUCKETS;
    const ratioOn = options.ratio > 0;
    this.#calls = ratioOn ? new Array<number>(BUCKETS).fill(0) : [];
    this.#fails = ratioOn ? new Array<number>(BUCKETS).fill(0) : [];
  }

  /** True while closed (an open or half-open circuit is not). */
  get closed(): boolean {
    return this.#state === 'closed';
  }

  /** Its state now (an open circuit whose period ended reads half-open). */
  get state(): CircuitState {
    if (this.#state === 'open' && this.#now() >= this.retryAt) return 'half-open';
    return this.#state;
  }

  /** Whether the selector may pick the node now: closed, or half-open with a probe slot free. */
  admits(): boolean {
    if (this.#state === 'closed') return true;
    if (this.#state === 'open') {
      if (this.#now() < this.retryAt) return false;
      this.#state = 'half-open';
      this.#probing = 0;
    }
    return this.#probing < this.#o.probes;
  }

  /** A call to the node began (a probe while half-open). */
  begin(): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'open' && this.#now() >= this.retryAt) {
      this.#state = 'half-open';
      this.#probing = 0;
    }
    if (this.#state === 'half-open') this.#probing++;
  }

  /** A call ended: `ok` true for a success, false for a failure, undefined for neither. */
  end(ok: boolean | undefined): void {
    if (this.#state === 'closed') {
      if (ok === undefined) return;
      if (ok) this.failures = 0;
      else this.failures++;
      if (this.#calls.length > 0) this.#count(ok);
      if (!ok && this.#trips()) this.#open(this.#o.openFor);
      return;
    }
    if (this.#state === 'open') return; // a call begun before it opened
    if (this.#probing > 0) this.#probing--;
    if (ok === true) this.#close();
    else if (ok === false) {
      this.failures++;
      this.#open(Math.min(this.#openFor * 2, this.#o.maxOpenFor));
    }
  }

  #trips(): boolean {
    if (this.#o.failures > 0 && this.failures >= this.#o.failures) return true;
    return (
      this.#calls.length > 0 &&
      this.#inCalls >= Math.max(1, this.#o.minCalls) &&
      this.#inFails >= this.#o.ratio * this.#inCalls
    );
  }

  #open(ms: number): void {
    const now = this.#now();
    this.#state = 'open';
    this.#openFor = ms;
    this.openedAt = now;
    this.retryAt = now + ms;
    this.opened++;
    this.#probing = 0;
  }

  #close(): void {
    this.#state = 'closed';
    this.failures = 0;
    this.#openFor = this.#o.openFor;
    this.#calls.fill(0);
    this.#fails.fill(0);
    this.#inCalls = 0;
    this.#inFails = 0;
  }

  /** Counts a call in the ratio's window, dropping the buckets that fell out of it. */
  #count(ok: boolean): void {
    const slot = Math.floor(this.#now() / this.#width);
    if (slot !== this.#slot) {
      const steps = Math.min(slot - this.#slot, BUCKETS);
      for (let i = 1; i <= steps; i++) {
        const b = (this.#slot + i) % BUCKETS;
        this.#inCalls -= this.#calls[b] ?? 0;
        this.#inFails -= this.#fails[b] ?? 0;
        this.#calls[b] = 0;
        this.#fails[b] = 0;
      }
      this.#slot = slot;
    }
    const b = slot % BUCKETS;
    this.#calls[b] = (this.#calls[b] ?? 0) + 1;
    this.#inCalls++;
    if (!ok) {
      this.#fails[b] = (this.#fails[b] ?? 0) + 1;
      this.#inFails++;
    }
  }
}

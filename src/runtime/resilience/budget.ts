// Retry budgets (as in Finagle and Linkerd): retries and hedges to a target may add at most `ratio`
// of the calls made to it in the last `window` ms, plus `minPerSecond` a second over that window.
// Guarantees: a call pays one clock read and one increment; the window slides in 10 slots, so a
// call or retry is forgotten between 0.9 and 1 window after it was made. Limits: per client
// process (each caller keeps its own budget); the reserve (minPerSecond * window) may be spent in
// one burst; stream opens are not budgeted.

import type { RetryBudgetOptions } from './policy.ts';

/** RetryBudgetOptions' defaults: a 20% share, 10 retries a second, a 10 s window. */
export const RETRY_BUDGET_DEFAULTS: Readonly<Required<RetryBudgetOptions>> = {
  ratio: 0.2,
  minPerSecond: 10,
  window: 10_000,
};

const SLOTS = 10;

/** One target's retry budget: calls deposit, retries and hedges withdraw. */
export class RetryBudget {
  readonly #ratio: number;
  readonly #reserve: number;
  readonly #slotMs: number;
  readonly #now: () => number;
  readonly #calls = new Float64Array(SLOTS);
  readonly #retries = new Float64Array(SLOTS);
  /** The slot number (time / slotMs) the current slot holds. */
  #slot = -1;

  /** now: the clock (injectable for tests). A bad option is a TypeError naming it. */
  constructor(options: RetryBudgetOptions = {}, now: () => number = Date.now) {
    const o = { ...RETRY_BUDGET_DEFAULTS, ...options };
    check('ratio', o.ratio, 0);
    check('minPerSecond', o.minPerSecond, 0);
    check('window', o.window, 1);
    this.#ratio = o.ratio;
    this.#reserve = (o.minPerSecond * o.window) / 1000;
    this.#slotMs = o.window / SLOTS;
    this.#now = now;
  }

  /** A call to the target was made (its first attempt). */
  deposit(): void {
    this.#calls[this.#advance()]!++;
  }

  /** Takes one retry (or hedge) from the budget: false when the budget is spent (make none). */
  withdraw(): boolean {
    const i = this.#advance();
    let calls = 0;
    let retries = 0;
    for (let k = 0; k < SLOTS; k++) {
      calls += this.#calls[k]!;
      retries += this.#retries[k]!;
    }
    if (retries + 1 > calls * this.#ratio + this.#reserve) return false;
    this.#retries[i]!++;
    return true;
  }

  /** The current slot's index, after clearing the slots the clock moved past. */
  #advance(): number {
    const slot = Math.floor(this.#now() / this.#slotMs);
    const prev = this.#slot;
    if (slot !== prev) {
      const stale = prev < 0 ? SLOTS : Math.min(SLOTS, slot - prev);
      for (let k = 1; k <= stale; k++) {
        const j = (((prev + k) % SLOTS) + SLOTS) % SLOTS;
        this.#calls[j] = 0;
        this.#retries[j] = 0;
      }
      this.#slot = slot;
    }
    return slot % SLOTS;
  }
}

function check(name: string, value: number, min: number): void {
  if (!(Number.isFinite(value) && value >= min))
    throw new TypeError(`retry budget: ${name} must be a number >= ${min}, not ${String(value)}`);
}

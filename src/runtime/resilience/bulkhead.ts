// A bulkhead: a semaphore of `maxInFlight` slots with a bounded queue. Guarantees: at most
// maxInFlight holders at once; at most maxQueue waiters, served first come first served; a waiter
// waits at most `queueTimeout` ms and never past its deadline. It says yes or no; what a refusal
// becomes (a client's 503, a server's 429) is its user's business. Waiters are not cancellable
// other than by their timeout.
import { timerDelay } from '../deadline.ts';

/** The size of a bulkhead. */
export interface BulkheadLimits {
  /** Holders at once (>= 1). */
  maxInFlight: number;
  /** Waiters at most (>= 0). */
  maxQueue: number;
  /** The longest wait for a slot, in ms. */
  queueTimeout: number;
}

/** Why a bulkhead said no: every slot and queue place was taken, or the wait ran out. */
export type BulkheadRefusal = 'full' | 'timeout' | 'deadline';

interface Waiter {
  resolve(r: true | BulkheadRefusal): void;
  timer: NodeJS.Timeout;
}

/** A semaphore with a bounded queue; see the module comment. */
export class Bulkhead {
  readonly limits: BulkheadLimits;
  #inFlight = 0;
  readonly #queue = new Set<Waiter>();

  constructor(limits: BulkheadLimits) {
    this.limits = limits;
  }

  /** Holders now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Waiters now. */
  get queued(): number {
    return this.#queue.size;
  }

  /** True when no one holds or waits for a slot: the bulkhead can be forgotten. */
  get idle(): boolean {
    return this.#inFlight === 0 && this.#queue.size === 0;
  }

  /**
   * Takes a slot: true at once when one is free, 'full' at once when the queue is full too
   * ('deadline' when no time is left to wait), else a promise of true once a slot is handed over,
   * or of 'timeout' / 'deadline' when the wait ran out.
   * Whoever gets true must call leave() once.
   */
  enter(
    deadline = Number.POSITIVE_INFINITY,
  ): true | 'full' | 'deadline' | Promise<true | BulkheadRefusal> {
    if (this.#inFlight < this.limits.maxInFlight) {
      this.#inFlight++;
      return true;
    }
    if (this.#queue.size >= this.limits.maxQueue) return 'full';
    const left = deadline - Date.now();
    if (left <= 0) return 'deadline';
    const byDeadline = left < this.limits.queueTimeout;
    return new Promise((resolve) => {
      const w: Waiter = {
        resolve,
        timer: setTimeout(
          () => {
            this.#queue.delete(w);
            resolve(byDeadline ? 'deadline' : 'timeout');
          },
          timerDelay(Math.min(left, this.limits.queueTimeout)),
        ),
      };
      this.#queue.add(w);
    });
  }

  /** Gives a slot back: to the first waiter, if any. */
  leave(): void {
    for (const w of this.#queue) {
      this.#queue.delete(w);
      clearTimeout(w.timer);
      w.resolve(true);
      return;
    }
    this.#inFlight--;
  }
}

/** Bulkheads by key, made on first use and forgotten when idle, so that memory follows the keys in use. */
export class Bulkheads {
  readonly #by = new Map<string, Bulkhead>();

  /** The bulkhead of a key, made with these limits if there is none. */
  get(key: string, limits: BulkheadLimits): Bulkhead {
    let b = this.#by.get(key);
    if (!b) this.#by.set(key, (b = new Bulkhead(limits)));
    return b;
  }

  /** Gives the key's slot back, and forgets its bulkhead once idle. */
  leave(key: string): void {
    const b = this.#by.get(key);
    if (!b) return;
    b.leave();
    if (b.idle) this.#by.delete(key);
  }

  /** Keys tracked now. */
  get size(): number {
    return this.#by.size;
  }
}

/** Checks a bulkhead's numbers: a TypeError naming `what` and the bad field. */
export function checkLimits(what: string, l: BulkheadLimits): BulkheadLimits {
  const int = (name: keyof BulkheadLimits, min: number): void => {
    const v = l[name];
    if (!Number.isInteger(v) || v < min)
      throw new TypeError(`${what}.${name} must be an integer >= ${min}, not ${String(v)}`);
  };
  int('maxInFlight', 1);
  int('maxQueue', 0);
  if (!(l.queueTimeout >= 0) || !Number.isFinite(l.queueTimeout))
    throw new TypeError(
      `${what}.queueTimeout must be a number of ms >= 0, not ${String(l.queueTimeout)}`,
    );
  return l;
}

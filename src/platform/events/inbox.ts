// A subscriber's queue of deliveries, read as the subscription's async iterator. The engine pushes
// batches; reading tells it (onTake) so an ephemeral reader is fed again as it drains. Stopping
// drops what is queued and ends the iteration at once.
import type { Delivery, EventSubscription } from './events.ts';

/** The deliveries queued for one subscriber. */
export class Inbox {
  #items: Delivery[] = [];
  #head = 0;
  #waiting: ((r: IteratorResult<Delivery>) => void) | undefined;
  #closed = false;
  readonly #onTake: () => void;
  readonly #onClose: () => void;

  /** onTake runs after each value read; onClose once, when it closes. */
  constructor(onTake: () => void, onClose: () => void) {
    this.#onTake = onTake;
    this.#onClose = onClose;
  }

  /** Queues deliveries (dropped once closed). */
  push(items: Delivery[]): void {
    if (this.#closed || items.length === 0) return;
    let i = 0;
    const w = this.#waiting;
    if (w) {
      this.#waiting = undefined;
      w({ value: items[i++]!, done: false });
    }
    for (; i < items.length; i++) this.#items.push(items[i]!);
  }

  /** Deliveries queued and not read yet. */
  get backlog(): number {
    return this.#items.length - this.#head;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Ends the iteration now, dropping what is queued. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#items = [];
    this.#head = 0;
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.({ value: undefined, done: true });
    this.#onClose();
  }

  #next(): Promise<IteratorResult<Delivery>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head]!;
      this.#items[this.#head++] = undefined as unknown as Delivery;
      if (this.#head === this.#items.length) {
        this.#items = [];
        this.#head = 0;
      } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      this.#onTake();
      return Promise.resolve({ value, done: false });
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiting = (r) => {
        resolve(r);
        if (!r.done) this.#onTake();
      };
    });
  }

  /** The subscription reading this inbox. */
  subscription(topic: string, group: string | undefined): EventSubscription {
    return {
      topic,
      group,
      stop: async () => this.close(),
      [Symbol.asyncIterator]: () => ({
        next: () => this.#next(),
        return: () => {
          this.close();
          return Promise.resolve({ value: undefined, done: true });
        },
      }),
    };
  }
}

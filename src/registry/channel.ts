import type { Service, WatchEvent, WatchOptions, Watcher } from './registry.ts';
import { copyService } from './util.ts';

/** A push queue read as an async iterable: what registries use to feed watchers. */
export class Channel<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #waiting: ((r: IteratorResult<T>) => void) | undefined;
  #closed = false;
  #onClose: (() => void) | undefined;

  constructor(onClose?: () => void) {
    this.#onClose = onClose;
  }

  /** Queues a value; dropped once closed. */
  push(item: T): void {
    if (this.#closed) return;
    const w = this.#waiting;
    if (w) {
      this.#waiting = undefined;
      w({ value: item, done: false });
    } else this.#items.push(item);
  }

  /** Ends iteration after the queued values. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose?.();
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.({ value: undefined, done: true });
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Yields the queued values, then waits for more until closed; breaking out closes it. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.#items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.#closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.#waiting = resolve));
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

/** The watchers of a registry that holds its state itself (memory, sqlite, mdns). */
export class WatcherSet {
  readonly #set = new Set<{ filter: string | undefined; channel: Channel<WatchEvent> }>();

  /** A new watcher, filtered to one service when options.service is set. */
  watch(options: WatchOptions = {}): Watcher {
    const entry = { filter: options.service, channel: undefined as unknown as Channel<WatchEvent> };
    entry.channel = new Channel<WatchEvent>(() => this.#set.delete(entry));
    this.#set.add(entry);
    const channel = entry.channel;
    return {
      stop: () => channel.close(),
      [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator](),
    };
  }

  /** Tells every interested watcher about a change; each gets its own copy. */
  emit(action: WatchEvent['action'], service: Service): void {
    for (const w of this.#set) {
      if (w.filter === undefined || w.filter === service.name)
        w.channel.push({ action, service: copyService(service) });
    }
  }

  /** Ends every watcher. */
  close(): void {
    for (const w of this.#set) w.channel.close();
  }
}

/**
 * Watches still being set up by a registry client. A change made after watch() returned must
 * reach that watcher, so writes wait for these first (micro, etcd and nats clients).
 */
export class PendingWatches {
  readonly #set = new Set<Promise<void>>();

  /** Tracks a watch's setup until it settles. */
  track(setup: Promise<void>): void {
    this.#set.add(setup);
    void setup.finally(() => this.#set.delete(setup));
  }

  /** Resolves once every watch set up so far is in place. */
  async settled(): Promise<void> {
    if (this.#set.size > 0) await Promise.all([...this.#set]);
  }

  /** Waits for every setup to end, however it ends: on close. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#set]);
  }
}

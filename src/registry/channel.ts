import type { Service, WatchEvent, WatchOptions, Watcher } from './registry.ts';
import { copyService } from './util.ts';

/**
 * How many changes a watcher may fall behind by before it is ended: a watcher that stopped
 * reading (a stalled connection, a hung consumer) must not hold every later change in memory.
 * Every reader of a watch reads the registry again when its watch ends, so nothing is lost.
 */
export const WATCH_BACKLOG = 16_384;

/** A push queue read as an async iterable: what registries use to feed watchers. */
export class Channel<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #head = 0;
  #waiting: ((r: IteratorResult<T>) => void) | undefined;
  #closed = false;
  #onClose: (() => void) | undefined;
  readonly #limit: number;

  /** onClose runs once when it closes; more than `limit` unread values end it, dropping them. */
  constructor(onClose?: () => void, limit = Number.POSITIVE_INFINITY) {
    this.#onClose = onClose;
    this.#limit = limit;
  }

  /** Queues a value; dropped once closed. Past the limit, the queue is dropped and it closes. */
  push(item: T): void {
    if (this.#closed) return;
    const w = this.#waiting;
    if (w) {
      this.#waiting = undefined;
      w({ value: item, done: false });
    } else if (this.#items.length - this.#head >= this.#limit) {
      this.#items = [];
      this.#head = 0;
      this.close();
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

  /** The values queued and not read yet. */
  get backlog(): number {
    return this.#items.length - this.#head;
  }

  /** The next queued value, compacting the queue as it empties (no shift() over a long queue). */
  #take(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head]!;
    this.#items[this.#head++] = undefined as T;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Yields the queued values, then waits for more until closed; breaking out closes it. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.#take();
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
    entry.channel = new Channel<WatchEvent>(() => this.#set.delete(entry), WATCH_BACKLOG);
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

/** Sets up one remote watch: pushes events to `channel`, hands `onStop` what lets go of its source. */
export type FollowWatch<E = WatchEvent> = (
  channel: Channel<E>,
  onStop: (release: () => void) => void,
) => Promise<void>;

/**
 * The watchers of a registry client that follows a server (micro, etcd, nats). A change made after
 * watch() returned must reach that watcher, so writes wait for the setups under way (settled()).
 */
export class RemoteWatchers<E = WatchEvent> {
  readonly #channels = new Set<Channel<E>>();
  readonly #setups = new Set<Promise<void>>();

  /**
   * A watcher fed by `follow`, set up until it settles; a release given to onStop runs when the
   * watcher stops (at once if it has). A failing follow (server unreachable) ends the watcher, as a
   * stream cut by its server does.
   */
  watch(follow: FollowWatch<E>): AsyncIterable<E> & { stop(): void } {
    const releases: (() => void)[] = [];
    const channel = new Channel<E>(() => {
      this.#channels.delete(channel);
      for (const release of releases.splice(0)) release();
    }, WATCH_BACKLOG);
    this.#channels.add(channel);
    const onStop = (release: () => void): void => {
      if (channel.closed) release();
      else releases.push(release);
    };
    const setup = follow(channel, onStop).catch(() => channel.close());
    this.#setups.add(setup);
    void setup.finally(() => this.#setups.delete(setup));
    return {
      stop: () => channel.close(),
      [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator](),
    };
  }

  /** Resolves once every watch set up so far is in place. */
  async settled(): Promise<void> {
    if (this.#setups.size > 0) await Promise.all([...this.#setups]);
  }

  /** Ends every watcher and waits for the setups under way to end. */
  async close(): Promise<void> {
    for (const channel of [...this.#channels]) channel.close();
    await Promise.all([...this.#setups]);
  }
}

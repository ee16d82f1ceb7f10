// The watchers of a store that sees its own writes (memory, SQLite): each filtered to a namespace
// and a key or a prefix, fed after each commit in commit order. A watcher that falls WATCH_BACKLOG
// events behind is ended (the registry's bound), so a stalled reader cannot hold memory; a reader
// whose watch ended reads the store again.
import { Channel, WATCH_BACKLOG } from '../../registry/channel.ts';
import type { Namespace, StoreEvent, StoreWatcher } from './store.ts';

interface Watch {
  space: string;
  key?: string;
  prefix?: string;
  channel: Channel<StoreEvent>;
}

/** The namespace as one string (NUL cannot occur in names). */
export const spaceOf = (ns: Required<Namespace>): string => `${ns.database}\0${ns.table}`;

/** Watchers by namespace, told of each change. */
export class StoreWatchers {
  readonly #watches = new Set<Watch>();

  /** A watcher of one key, or of every key under a prefix ('' for all). */
  watch(ns: Required<Namespace>, filter: { key?: string; prefix?: string }): StoreWatcher {
    const watch: Watch = { space: spaceOf(ns), ...filter, channel: undefined as never };
    const channel = new Channel<StoreEvent>(() => this.#watches.delete(watch), WATCH_BACKLOG);
    watch.channel = channel;
    this.#watches.add(watch);
    return {
      stop: () => channel.close(),
      [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator](),
    };
  }

  /** True when someone watches: lets a store skip building events. */
  get size(): number {
    return this.#watches.size;
  }

  /** Tells each watcher of the namespace whose key or prefix matches; values are parsed per watcher. */
  emit(
    ns: Required<Namespace>,
    event: { action: 'put' | 'delete'; key: string; json?: string; version?: string },
  ): void {
    const space = spaceOf(ns);
    for (const w of this.#watches) {
      if (w.space !== space) continue;
      if (w.key !== undefined ? w.key !== event.key : !event.key.startsWith(w.prefix ?? ''))
        continue;
      w.channel.push(
        event.action === 'put'
          ? {
              action: 'put',
              key: event.key,
              value: JSON.parse(event.json ?? 'null') as unknown,
              version: event.version!,
            }
          : { action: 'delete', key: event.key },
      );
    }
  }

  /** Ends every watcher. */
  close(): void {
    for (const w of [...this.#watches]) w.channel.close();
  }
}

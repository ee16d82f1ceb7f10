// A store whose implementation loads on first use: how the table holds engines (etcd3, ioredis,
// nats) without loading their clients until a program uses one. Calls wait for the load; a watch
// is checked at once and fed once the store is there; a failed load fails every call with its error.
import { Channel, WATCH_BACKLOG } from '../../registry/channel.ts';
import type { Store, StoreEvent, StoreWatcher } from './store.ts';
import { checkNamespace, checkWatch } from './validate.ts';

/** A Store named `name` at `address`, made by `load` on the first call. */
export function lazyStore(
  name: string,
  address: string,
  load: () => Promise<Store>,
  database?: string,
): Store {
  let loading: Promise<Store> | undefined;
  const ready = (): Promise<Store> => (loading ??= load());
  return {
    name,
    address,
    get: async (...a) => (await ready()).get(...a),
    put: async (...a) => (await ready()).put(...a),
    delete: async (...a) => (await ready()).delete(...a),
    list: async (...a) => (await ready()).list(...a),
    getMany: async (...a) => (await ready()).getMany(...a),
    transact: async (...a) => (await ready()).transact(...a),
    namespaces: async () => (await ready()).namespaces(),
    watch(options): StoreWatcher {
      checkNamespace(options, database);
      checkWatch(options);
      let inner: StoreWatcher | undefined;
      const channel = new Channel<StoreEvent>(() => inner?.stop(), WATCH_BACKLOG);
      // Calls made after watch() wait on the same load, and run after this sets the watch up.
      void ready()
        .then(async (store) => {
          if (channel.closed) return;
          inner = store.watch(options);
          for await (const event of inner) channel.push(event);
        })
        .catch(() => undefined)
        .finally(() => channel.close());
      return {
        stop: () => channel.close(),
        [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator](),
      };
    },
    async close() {
      if (loading) await (await loading.catch(() => undefined))?.close();
    },
  };
}

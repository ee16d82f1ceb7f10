// micro's Store, chosen as a service chooses it (storeFromEnv with MICRO_STORE and
// MICRO_STORE_ADDRESS): `micro` calls the control plane's store service (SQLite), `redis` and
// `etcd` are micro's engines talking to the bench's redis-server and etcd. Values go in and come
// out as JSON values, in the database `bench`.
import type { StoreClient, StoreTarget } from '../target.ts';

/** The target of micro's store implementation called name (micro, redis, etcd). */
export const microStore = (name: string): StoreTarget => ({
  async connect(address) {
    const { storeFromEnv } = await import('../../../src/platform/store/index.ts');
    const store = storeFromEnv(
      { MICRO_STORE: name, MICRO_STORE_ADDRESS: address },
      { database: 'bench' },
    );
    return {
      async get(key) {
        const entry = await store.get(key);
        if (!entry) throw new Error(`no entry under ${key}`);
        return entry.value;
      },
      async put(key, value) {
        await store.put(key, value);
      },
      close: () => store.close(),
    } satisfies StoreClient;
  },
});

// etcd used directly: the etcd3 client's get and put of the value as JSON, one client (one gRPC
// channel). Its raw figures beside micro's etcd engine.
import type { StoreClient, StoreTarget } from '../target.ts';

/** etcd3 against the bench's etcd. */
export const etcd: StoreTarget = {
  async connect(address) {
    const { Etcd3 } = await import('etcd3');
    const client = new Etcd3({ hosts: `http://${address}` });
    return {
      async get(key) {
        const raw = await client.get(key).string();
        if (raw === null) throw new Error(`no value under ${key}`);
        return JSON.parse(raw) as unknown;
      },
      async put(key, value) {
        await client.put(key).value(JSON.stringify(value));
      },
      async close() {
        client.close();
        return Promise.resolve();
      },
    } satisfies StoreClient;
  },
};

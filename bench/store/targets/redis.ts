// Redis used directly: ioredis GET and SET of the value as JSON on one connection, with ioredis's
// default settings (no auto-pipelining). The raw limit the goal compares the control plane with.
import type { StoreClient, StoreTarget } from '../target.ts';

/** ioredis against the bench's redis-server. */
export const redis: StoreTarget = {
  async connect(address) {
    const { Redis } = await import('ioredis');
    const [host, port] = address.split(':');
    const client = new Redis({ host, port: Number(port), lazyConnect: true });
    await client.connect();
    return {
      async get(key) {
        const raw = await client.get(key);
        if (raw === null) throw new Error(`no value under ${key}`);
        return JSON.parse(raw) as unknown;
      },
      async put(key, value) {
        await client.set(key, JSON.stringify(value));
      },
      async close() {
        await client.quit();
      },
    } satisfies StoreClient;
  },
};

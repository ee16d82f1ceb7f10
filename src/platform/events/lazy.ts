// Events whose implementation loads on first use: how the engines table holds JetStream and Redis
// without loading their client libraries (nats, ioredis) until a program calls one. Calls wait for
// the load; a failed load fails every call with its error.
import type { Events } from './events.ts';

/** Events named `name` at `address`, made by `load` on the first call. */
export function lazyEvents(name: string, address: string, load: () => Promise<Events>): Events {
  let loading: Promise<Events> | undefined;
  const ready = (): Promise<Events> => (loading ??= load());
  return {
    name,
    address,
    publish: async (...a) => (await ready()).publish(...a),
    publishMany: async (...a) => (await ready()).publishMany(...a),
    subscribe: async (...a) => (await ready()).subscribe(...a),
    read: async (...a) => (await ready()).read(...a),
    topics: async (...a) => (await ready()).topics(...a),
    groups: async (...a) => (await ready()).groups(...a),
    seek: async (...a) => (await ready()).seek(...a),
    deleteGroup: async (...a) => (await ready()).deleteGroup(...a),
    configure: async (...a) => (await ready()).configure(...a),
    async close() {
      if (loading) await (await loading.catch(() => undefined))?.close();
    },
  };
}

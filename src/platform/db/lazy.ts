// A db whose implementation loads on first use: how the databases table holds engines (PostgreSQL
// and its `pg` client) without loading them until a program uses one. Calls wait for the load; a
// failed load fails every call with its error, and the next call tries again.
import type { Db } from './db.ts';

/** A Db named `name` at `address`, made by `load` on the first call. */
export function lazyDb(name: string, address: string, load: () => Promise<Db>): Db {
  let loading: Promise<Db> | undefined;
  const ready = (): Promise<Db> =>
    (loading ??= load().catch((err: unknown) => {
      loading = undefined;
      throw err;
    }));
  return {
    name,
    address,
    create: async (...a) => (await ready()).create(...a),
    read: async (...a) => (await ready()).read(...a),
    update: async (...a) => (await ready()).update(...a),
    delete: async (...a) => (await ready()).delete(...a),
    query: async (...a) => (await ready()).query(...a),
    count: async (...a) => (await ready()).count(...a),
    createIndex: async (...a) => (await ready()).createIndex(...a),
    dropIndex: async (...a) => (await ready()).dropIndex(...a),
    collections: async (...a) => (await ready()).collections(...a),
    dropCollection: async (...a) => (await ready()).dropCollection(...a),
    async close() {
      if (loading) await (await loading.catch(() => undefined))?.close();
    },
  };
}

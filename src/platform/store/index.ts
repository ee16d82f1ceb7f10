// The store area: the table of stores by name (MICRO_STORE and --store pick from it) and
// storeFromEnv, what a service's `store` is made with. Light on purpose: engines and their client
// libraries load on first use, and the control plane's client only when a call is made.
import type { Client } from '../../runtime/client/client.ts';
import { pickPlugin } from '../../runtime/plugins.ts';
import { createMicroStore } from './client.ts';
import { lazyStore } from './lazy.ts';
import { createMemoryStore } from './memory.ts';
import type { Store, StoreOptions } from './store.ts';

/** What every entry of the stores table is given. */
export interface StoreFactoryOptions extends StoreOptions {
  /** A runtime client to call through, for the `micro` store (a service's own). */
  client?: Client;
}

/** Builds a store from the table's options. */
export type StoreTableFactory = (options?: StoreFactoryOptions) => Store;

/** The stores by name: MICRO_STORE and --store pick from it. */
export const stores: Readonly<Record<string, StoreTableFactory>> = {
  /** The control plane's `store` service (SQLite, or the engine it serves); the default. */
  micro: createMicroStore,
  /** In this process only: tests and single-process programs. */
  memory: createMemoryStore,
  /** etcd (127.0.0.1:2379 by default): its revisions, transactions, leases and watches. */
  etcd: (o = {}) =>
    lazyStore(
      'etcd',
      o.address ?? '127.0.0.1:2379',
      async () => (await import('./etcd.ts')).createEtcdStore(o),
      o.database,
    ),
  /** One Redis server (127.0.0.1:6379 by default), writes as Lua scripts, watches over pub/sub. */
  redis: (o = {}) =>
    lazyStore(
      'redis',
      o.address ?? '127.0.0.1:6379',
      async () => (await import('./redis.ts')).createRedisStore(o),
      o.database,
    ),
  /** NATS JetStream KV (127.0.0.1:4222 by default): one operation per transaction. */
  nats: (o = {}) =>
    lazyStore(
      'nats',
      o.address ?? '127.0.0.1:4222',
      async () => (await import('./nats.ts')).createNatsStore(o),
      o.database,
    ),
};

/**
 * The store named by MICRO_STORE (default `micro`, the control plane's), at MICRO_STORE_ADDRESS;
 * calls naming no database use `database` (the service's name). The `micro` store calls through
 * `client` unless MICRO_STORE_ADDRESS names a control plane of its own. An unknown name is a
 * TypeError listing the valid ones.
 */
export function storeFromEnv(
  env: NodeJS.ProcessEnv,
  defaults: { client?: Client; database?: string } = {},
): Store {
  const name = env.MICRO_STORE || 'micro';
  const make = pickPlugin(stores, 'store', name, 'MICRO_STORE');
  const address = env.MICRO_STORE_ADDRESS || undefined;
  return make({
    ...(address && { address }),
    ...(defaults.database && { database: defaults.database }),
    ...(defaults.client && !address && { client: defaults.client }),
  });
}

export { createMemoryStore, createMicroStore };
export { lazyStore };
export { STORE_LIMITS } from './store.ts';
export type * from './store.ts';
export type { MemoryStoreOptions } from './memory.ts';
export type { MicroStoreOptions } from './client.ts';
export type { EtcdStoreOptions } from './etcd.ts';
export type { NatsStoreOptions } from './nats.ts';
export type { RedisStoreOptions } from './redis.ts';

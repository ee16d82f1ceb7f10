// The sync area: locks with a lease and leader election (sync.ts), and the table of its
// implementations that MICRO_SYNC picks from. Light to import: etcd3 and ioredis load on first use.
import type { Client } from '../../runtime/client/client.ts';
import { pickPlugin } from '../../runtime/plugins.ts';
import { createMicroSync, type MicroSyncOptions } from './client.ts';
import { createEtcdSync } from './etcd.ts';
import { createMemorySync } from './memory.ts';
import { createRedisSync } from './redis.ts';
import type { Sync } from './sync.ts';

export type * from './sync.ts';
export { createEtcdSync, createMemorySync, createMicroSync, createRedisSync };
export { memoryTable } from './memory.ts';
export type { EtcdSyncOptions } from './etcd.ts';
export type { MemorySyncOptions } from './memory.ts';
export type { MicroSyncOptions } from './client.ts';
export type { RedisSyncOptions } from './redis.ts';

/** The syncs by name: `--sync` and MICRO_SYNC pick from it. */
export const syncs = {
  /** The control plane's `sync` service (SQLite: one control plane); the default. */
  micro: createMicroSync,
  /** In this process only: tests and single-process programs. */
  memory: createMemorySync,
  /** An etcd cluster (127.0.0.1:2379 by default): its leases, lowest-create-revision elections. */
  etcd: createEtcdSync,
  /** One Redis instance (127.0.0.1:6379 by default): not Redlock, not safe over a failover. */
  redis: createRedisSync,
} satisfies Record<string, (options?: MicroSyncOptions) => Sync>;

/** The sync named by MICRO_SYNC (default `micro`, the control plane's), at MICRO_SYNC_ADDRESS. */
export function syncFromEnv(
  env: NodeJS.ProcessEnv,
  defaults: { client?: Client; id?: string },
): Sync {
  const make = pickPlugin<(options?: MicroSyncOptions) => Sync>(
    syncs,
    'sync',
    env.MICRO_SYNC || 'micro',
    'MICRO_SYNC',
  );
  return make({ address: env.MICRO_SYNC_ADDRESS || undefined, ...defaults });
}

// The db area: the table of databases by name (MICRO_DB and --db pick from it) and dbFromEnv, what
// a service's `db` is made with. Light on purpose: engines and their client libraries load on
// first use (SQLite is the control plane's, reached through the `micro` entry).
import type { Client } from '../../runtime/client/client.ts';
import { pickPlugin } from '../../runtime/plugins.ts';
import { createMicroDb, serviceDatabase } from './client.ts';
import type { Db } from './db.ts';
import { lazyDb } from './lazy.ts';
import { createMemoryDb } from './memory.ts';
import { shownAddress } from './postgres-pool.ts';

/** What every entry of the databases table is given. */
export interface DbFactoryOptions {
  /** The database of calls that name none (a service's own name; default `micro`). */
  database?: string;
  /** Where the engine is (MICRO_DB_ADDRESS): a postgres:// URL or host:port, a control plane's address. */
  address?: string;
  /** A runtime client to call through, for the `micro` db (a service's own). */
  client?: Client;
}

/** Builds a db from the table's options. */
export type DbTableFactory = (options?: DbFactoryOptions) => Db;

/** The databases by name: MICRO_DB and --db pick from it. */
export const databases: Readonly<Record<string, DbTableFactory>> = {
  /** The control plane's `db` service (SQLite, or the engine it serves); the default. */
  micro: (o = {}) => createMicroDb(o),
  /** PostgreSQL (a postgres:// URL or host:port; 127.0.0.1:5432 by default), jsonb records. */
  postgres: (o = {}) =>
    lazyDb('postgres', shownAddress(o.address ?? '127.0.0.1:5432'), async () =>
      (await import('./postgres.ts')).createPostgresDb(o),
    ),
  /** In this process only: tests and single-process programs. */
  memory: (o = {}) => createMemoryDb(o.database === undefined ? {} : { database: o.database }),
};

/**
 * The db named by MICRO_DB (default `micro`, the control plane's), at MICRO_DB_ADDRESS; calls
 * naming no database use `database` (the service's name). The `micro` db calls through `client`
 * unless MICRO_DB_ADDRESS names a control plane of its own. An unknown name is a TypeError listing
 * the valid ones.
 */
export function dbFromEnv(
  env: NodeJS.ProcessEnv,
  defaults: { client?: Client; database?: string } = {},
): Db {
  const name = env.MICRO_DB || 'micro';
  const make = pickPlugin(databases, 'db', name, 'MICRO_DB');
  const address = env.MICRO_DB_ADDRESS || undefined;
  return make({
    ...(address && { address }),
    ...(defaults.database && { database: defaults.database }),
    ...(defaults.client && !address && { client: defaults.client }),
  });
}

export { createMemoryDb, createMicroDb, lazyDb, serviceDatabase };
export { DB_LIMITS } from './db.ts';
export type * from './db.ts';
export type { MemoryDbOptions } from './memory.ts';
export type { MicroDbOptions } from './client.ts';
export type { PostgresDbOptions } from './postgres.ts';

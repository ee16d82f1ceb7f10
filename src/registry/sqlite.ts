import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createMemoryRegistry, type RegistryStore } from './memory.ts';
import type { Node, Registry, RegistryOptions, Service } from './registry.ts';

/** Options of the SQLite registry. */
export interface SqliteRegistryOptions extends RegistryOptions {
  /** The database file; created with its folder if missing. */
  path: string;
  /** better-sqlite3's native addon, already loaded: how the single executable passes it in. */
  nativeBinding?: unknown;
  sweepInterval?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS registry_versions (
  name TEXT NOT NULL, version TEXT NOT NULL, metadata TEXT NOT NULL, endpoints TEXT NOT NULL,
  PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS registry_nodes (
  name TEXT NOT NULL, version TEXT NOT NULL, id TEXT NOT NULL, address TEXT NOT NULL,
  metadata TEXT NOT NULL, expires INTEGER,
  PRIMARY KEY (name, version, id));
`;

/** Opens (or creates) the database with WAL, so readers never block the writer and a crash loses nothing committed. */
export function openDatabase(path: string, nativeBinding?: unknown): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, nativeBinding ? { nativeBinding: nativeBinding as string } : {});
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return db;
}

/** Persists registrations to SQLite, so leases outlive a restart of the process holding them. */
export function createSqliteStore(db: Database.Database): RegistryStore {
  db.exec(SCHEMA);
  const upsertVersion = db.prepare(
    `INSERT INTO registry_versions (name, version, metadata, endpoints) VALUES (?, ?, ?, ?)
     ON CONFLICT (name, version) DO UPDATE SET metadata = excluded.metadata, endpoints = excluded.endpoints`,
  );
  const upsertNode = db.prepare(
    `INSERT INTO registry_nodes (name, version, id, address, metadata, expires) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (name, version, id) DO UPDATE SET address = excluded.address, metadata = excluded.metadata, expires = excluded.expires`,
  );
  const touchNode = db.prepare(
    'UPDATE registry_nodes SET expires = ? WHERE name = ? AND version = ? AND id = ?',
  );
  const deleteNode = db.prepare(
    'DELETE FROM registry_nodes WHERE name = ? AND version = ? AND id = ?',
  );
  const deleteEmpty = db.prepare(
    'DELETE FROM registry_versions WHERE name = ? AND version = ? AND NOT EXISTS (SELECT 1 FROM registry_nodes n WHERE n.name = ? AND n.version = ?)',
  );
  const upsert = db.transaction(
    (s: Omit<Service, 'nodes'>, nodes: { node: Node; expires: number }[]) => {
      upsertVersion.run(s.name, s.version, JSON.stringify(s.metadata), JSON.stringify(s.endpoints));
      for (const { node, expires } of nodes) {
        upsertNode.run(
          s.name,
          s.version,
          node.id,
          node.address,
          JSON.stringify(node.metadata),
          Number.isFinite(expires) ? expires : null,
        );
      }
    },
  );
  // Lease ends only; false (and nothing kept) when a row is not there, so that upsert writes it all.
  const touchAll = db.transaction(
    (s: Omit<Service, 'nodes'>, nodes: { node: Node; expires: number }[]) => {
      for (const { node, expires } of nodes) {
        const ends = Number.isFinite(expires) ? expires : null;
        if (touchNode.run(ends, s.name, s.version, node.id).changes === 0) throw new MissingRow();
      }
    },
  );
  const remove = db.transaction((name: string, version: string, ids: string[]) => {
    for (const id of ids) deleteNode.run(name, version, id);
    deleteEmpty.run(name, version, name, version);
  });
  return {
    load() {
      const rows = db
        .prepare(
          `SELECT v.name, v.version, v.metadata AS vmeta, v.endpoints, n.id, n.address, n.metadata AS nmeta, n.expires
           FROM registry_nodes n JOIN registry_versions v ON v.name = n.name AND v.version = n.version`,
        )
        .all() as {
        name: string;
        version: string;
        vmeta: string;
        endpoints: string;
        id: string;
        address: string;
        nmeta: string;
        expires: number | null;
      }[];
      return rows.map((r) => ({
        service: {
          name: r.name,
          version: r.version,
          metadata: JSON.parse(r.vmeta) as Service['metadata'],
          endpoints: JSON.parse(r.endpoints) as Service['endpoints'],
        },
        node: { id: r.id, address: r.address, metadata: JSON.parse(r.nmeta) as Node['metadata'] },
        expires: r.expires ?? Number.POSITIVE_INFINITY,
      }));
    },
    upsert: (s, nodes) => upsert(s, nodes),
    // A heartbeat: one UPDATE of the lease end (a transaction of its own) instead of two upserts.
    touch(s, nodes) {
      if (nodes.length === 1) {
        const { node, expires } = nodes[0]!;
        const ends = Number.isFinite(expires) ? expires : null;
        if (touchNode.run(ends, s.name, s.version, node.id).changes === 1) return;
      } else {
        try {
          touchAll(s, nodes);
          return;
        } catch (err) {
          if (!(err instanceof MissingRow)) throw err;
        }
      }
      upsert(s, nodes);
    },
    remove: (name, version, ids) => remove(name, version, ids),
    close: () => db.close(),
  };
}

/** Thrown inside touchAll's transaction to roll it back when a node's row is missing. */
class MissingRow extends Error {}

/** A registry kept in memory and written through to SQLite: what the control plane serves. */
export function createSqliteRegistry(options: SqliteRegistryOptions): Registry {
  const store = createSqliteStore(openDatabase(options.path, options.nativeBinding));
  return createMemoryRegistry({
    store,
    name: 'sqlite',
    sweepInterval: options.sweepInterval,
    limits: options.limits,
    warn: options.warn,
  });
}

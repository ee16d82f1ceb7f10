// The SQLite store: what the control plane serves as the `store` service (in micro.db, beside the
// registry). One connection, WAL, better-sqlite3's synchronous calls: each write is one SQLite
// transaction, so a put, a delete or a whole `transact` is atomic, and conditions (ifVersion,
// ifAbsent) are checked inside it. Keys are stored as UTF-8 BLOBs, so the primary key's order is
// the byte order every store lists in, and a prefix is a range scan.
//
// Durability: an acknowledged write is committed to the WAL file. With synchronous=NORMAL (the
// default, as the registry's) the commit is written but not fsynced: it survives a crash or
// SIGKILL of the process (the OS holds the written pages), and only a power loss or OS crash may
// lose the last transactions, never corrupt the file. `synchronous: 'FULL'` fsyncs every commit
// (survives power loss; each write then costs a disk flush). Versions come from one revision
// counter kept in the database, so a version is never reused, even across restarts. Leases are
// checked on every read and swept every `sweepInterval` ms (default 1 s); the sweep tells watchers.
// Watchers are fed in this process after each commit: only writes through this store are seen.
import Database from 'better-sqlite3';
import { openDatabase } from '../../registry/sqlite.ts';
import {
  STORE_LIMITS,
  type Entry,
  type Namespace,
  type Store,
  type StoreOptions,
} from './store.ts';
import {
  checkDelete,
  checkKey,
  checkKeys,
  checkList,
  checkNamespace,
  checkOperations,
  checkPut,
  checkWatch,
  conditionFailure,
  decodeCursor,
  encodeCursor,
  type CheckedOperation,
} from './validate.ts';
import { StoreWatchers } from './watchers.ts';

/** Options of the SQLite store. */
export interface SqliteStoreOptions extends StoreOptions {
  /** The database file (micro.db in the control plane's data folder); created if missing. */
  path: string;
  /** better-sqlite3's native addon, already loaded: how the single executable passes it in. */
  nativeBinding?: unknown;
  /** Milliseconds between sweeps of expired entries (default 1,000). */
  sweepInterval?: number;
  /** NORMAL (default: survives a process crash) or FULL (fsync per commit: survives power loss). */
  synchronous?: 'NORMAL' | 'FULL';
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS store_entries (
  db TEXT NOT NULL, tbl TEXT NOT NULL, key BLOB NOT NULL, value TEXT NOT NULL,
  version INTEGER NOT NULL, expires INTEGER,
  PRIMARY KEY (db, tbl, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS store_expiry ON store_entries (expires) WHERE expires IS NOT NULL;
CREATE TABLE IF NOT EXISTS store_revision (id INTEGER PRIMARY KEY CHECK (id = 1), rev INTEGER NOT NULL);
INSERT OR IGNORE INTO store_revision (id, rev) VALUES (1, 0);
`;

interface Row {
  key: Buffer;
  value?: string;
  version: number;
  expires: number | null;
}

const LIVE = '(expires IS NULL OR expires > @now)';
const AT = 'db = @db AND tbl = @tbl';

/** A store in a SQLite file. */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const db: Database.Database = openDatabase(options.path, options.nativeBinding);
  if (options.synchronous === 'FULL') db.pragma('synchronous = FULL');
  db.exec(SCHEMA);
  const watchers = new StoreWatchers();
  const database = options.database;
  const q = {
    get: db.prepare(
      `SELECT key, value, version, expires FROM store_entries WHERE ${AT} AND key = @key AND ${LIVE}`,
    ),
    version: db
      .prepare(`SELECT version FROM store_entries WHERE ${AT} AND key = @key AND ${LIVE}`)
      .pluck(),
    upsert: db.prepare(
      `INSERT INTO store_entries (db, tbl, key, value, version, expires) VALUES (@db, @tbl, @key, @value, @version, @expires)
       ON CONFLICT (db, tbl, key) DO UPDATE SET value = excluded.value, version = excluded.version, expires = excluded.expires`,
    ),
    remove: db.prepare(`DELETE FROM store_entries WHERE ${AT} AND key = @key AND ${LIVE}`),
    bump: db.prepare('UPDATE store_revision SET rev = rev + 1 WHERE id = 1 RETURNING rev').pluck(),
    list: db.prepare(
      `SELECT key, value, version, expires FROM store_entries
       WHERE ${AT} AND key >= @from AND key < @to AND key > @after AND ${LIVE} ORDER BY key LIMIT @limit`,
    ),
    keys: db.prepare(
      `SELECT key, version, expires FROM store_entries
       WHERE ${AT} AND key >= @from AND key < @to AND key > @after AND ${LIVE} ORDER BY key LIMIT @limit`,
    ),
    spaces: db.prepare(
      `SELECT DISTINCT db AS database, tbl AS "table" FROM store_entries WHERE ${LIVE} ORDER BY db, tbl LIMIT ${STORE_LIMITS.page}`,
    ),
    expired: db.prepare(
      'DELETE FROM store_entries WHERE expires <= @now RETURNING db AS database, tbl AS "table", key',
    ),
  };
  const where = (ns: Required<Namespace>, key: string) => ({
    db: ns.database,
    tbl: ns.table,
    key: Buffer.from(key),
    now: Date.now(),
  });
  const entry = (row: Row): Entry => {
    const e = { key: row.key.toString() } as Entry;
    if (row.value !== undefined) e.value = JSON.parse(row.value) as unknown;
    e.version = String(row.version);
    if (row.expires !== null) e.expiresAt = row.expires;
    return e;
  };
  type Change = { action: 'put' | 'delete'; key: string; json?: string; version?: string };
  // Checks every condition, then applies every operation: all inside one SQLite transaction.
  const write = db.transaction(
    (ns: Required<Namespace>, ops: CheckedOperation[], changes: Change[]) => {
      for (const op of ops) {
        const current = q.version.get(where(ns, op.key)) as number | undefined;
        const failure = conditionFailure(op, current === undefined ? undefined : String(current));
        if (failure) throw failure;
      }
      const version = q.bump.get() as number;
      return ops.map((op): Entry | boolean => {
        const at = where(ns, op.key);
        if (op.op === 'delete') {
          const gone = q.remove.run(at).changes > 0;
          if (gone) changes.push({ action: 'delete', key: op.key });
          return gone;
        }
        const expires = op.ttl === undefined ? null : at.now + op.ttl;
        q.upsert.run({ ...at, value: op.json, version, expires });
        changes.push({ action: 'put', key: op.key, json: op.json, version: String(version) });
        const e: Entry = {
          key: op.key,
          value: JSON.parse(op.json) as unknown,
          version: String(version),
        };
        if (expires !== null) e.expiresAt = expires;
        return e;
      });
    },
  );
  const commit = (ns: Required<Namespace>, ops: CheckedOperation[]): (Entry | boolean)[] => {
    const changes: Change[] = [];
    const results = write(ns, ops, changes);
    if (watchers.size > 0) for (const c of changes) watchers.emit(ns, c);
    return results;
  };
  const sweep = (): void => {
    const gone = q.expired.all({ now: Date.now() }) as (Required<Namespace> & { key: Buffer })[];
    if (watchers.size > 0)
      for (const g of gone) watchers.emit(g, { action: 'delete', key: g.key.toString() });
  };
  const timer = setInterval(sweep, options.sweepInterval ?? 1000);
  timer.unref();
  const readMany = db.transaction((ns: Required<Namespace>, keys: string[]) =>
    keys.map((k) => {
      const row = q.get.get(where(ns, k)) as Row | undefined;
      return row && entry(row);
    }),
  );

  return {
    name: 'sqlite',
    address: options.path,
    async get(key, opts) {
      const k = checkKey(key);
      const row = q.get.get(where(checkNamespace(opts, database), k)) as Row | undefined;
      return row && entry(row);
    },
    async put(key, value, opts) {
      const op = { op: 'put' as const, ...checkPut(key, value, opts) };
      return commit(checkNamespace(opts, database), [op])[0] as Entry;
    },
    async delete(key, opts) {
      const op = { op: 'delete' as const, ...checkDelete(key, opts) };
      return commit(checkNamespace(opts, database), [op])[0] as boolean;
    },
    async list(opts) {
      const o = checkList(opts);
      const ns = checkNamespace(opts, database);
      const after = o.cursor === undefined ? Buffer.alloc(0) : Buffer.from(decodeCursor(o.cursor));
      const from = Buffer.from(o.prefix);
      // No UTF-8 text holds the byte 0xFF: every key starting with the prefix sorts before this.
      const to = Buffer.concat([from, Buffer.from([0xff])]);
      const rows = (o.keysOnly ? q.keys : q.list).all({
        db: ns.database,
        tbl: ns.table,
        from,
        to,
        after,
        now: Date.now(),
        limit: o.limit + 1,
      }) as Row[];
      const entries = rows.slice(0, o.limit).map(entry);
      return rows.length > o.limit
        ? { entries, next: encodeCursor(entries.at(-1)!.key) }
        : { entries };
    },
    async getMany(keys, opts) {
      const ks = checkKeys(keys);
      return readMany(checkNamespace(opts, database), ks);
    },
    async transact(operations, opts) {
      const ops = checkOperations(operations);
      const ns = checkNamespace(opts, database);
      if (ops.length === 0) return [];
      return commit(ns, ops).map((r) => (typeof r === 'boolean' ? undefined : r));
    },
    watch(opts) {
      return watchers.watch(checkNamespace(opts, database), checkWatch(opts));
    },
    async namespaces() {
      return q.spaces.all({ now: Date.now() }) as Required<Namespace>[];
    },
    async close() {
      clearInterval(timer);
      watchers.close();
      if (db.open) db.close();
    },
  };
}

// The SQLite db: what the control plane serves as the `db` service (tables prefixed `db_` in
// micro.db). One table per collection (db_r<n>, named by a number of the catalog's, never by a
// caller's string), so each collection's indexes are its own: a declared index is a pair of
// VIRTUAL generated columns per field (type rank and value, json_extract of the JSON text column)
// and a SQL index on them (UNIQUE for a unique one), which equality, range, prefix and sort on
// that field use. Records are JSON text; queries are compiled by sqlite-sql.ts with every value
// bound. One connection, better-sqlite3's synchronous calls: each write is one SQLite transaction,
// its conditions (ifVersion, a taken id, unique indexes) checked inside it.
//
// Durability as the store's (src/platform/store/sqlite.ts): WAL, synchronous=NORMAL, so an
// acknowledged write survives a crash or SIGKILL of the process. One process writes the file (the
// control plane): the catalog is cached in memory and read again only after this process's DDL.
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { openDatabase } from '../../registry/sqlite.ts';
import type { Db, DbRecord } from './db.ts';
import { idTaken } from './errors.ts';
import { checkRecord } from './json.ts';
import { encodeCursor, sortValuesOf } from './query.ts';
import { Compiler } from './sqlite-sql.ts';
import { Catalog } from './sqlite-catalog.ts';
import type { Collection } from './sqlite-table.ts';
import { checkDeleteVersion, toRecord, updatedRow, type StoredRow } from './write.ts';
import {
  checkCount,
  checkDelete,
  checkFields,
  checkId,
  checkIndex,
  checkName,
  checkPlace,
  checkQuery,
  checkUpdate,
  DEFAULT_DATABASE,
} from './validate.ts';

/** Options of the SQLite db: a file to open, or a connection to share (then left open on close). */
export type SqliteDbOptions = (
  { path: string; db?: undefined } | { db: Database.Database; path?: undefined }
) & {
  /** better-sqlite3's native addon, already loaded: how the single executable passes it in. */
  nativeBinding?: unknown;
  /** The database of calls that name none (default `micro`). */
  database?: string;
};

/** A db in a SQLite file. */
export function createSqliteDb(options: SqliteDbOptions): Db {
  const owned = options.db === undefined;
  const sql = options.db ?? openDatabase(options.path, options.nativeBinding);
  const fallback = checkName(options.database ?? DEFAULT_DATABASE, 'database');
  const catalog = new Catalog(sql);

  // One write's transaction; a unique index's refusal becomes the 409 naming it. On failure the
  // cached catalog entry goes, as the transaction may have made the collection and rolled it back.
  const write = <R>(database: string, name: string, fn: () => R): R => {
    try {
      return sql.transaction(fn)();
    } catch (err) {
      catalog.forget(database, name);
      throw catalog.uniqueError(err, catalog.find(database, name)) ?? err;
    }
  };
  const save = (c: Collection, r: StoredRow, isNew: boolean): DbRecord => {
    c.stmt(isNew ? 'insert' : 'update').run(
      isNew ? r : { id: r.id, data: r.data, version: r.version, updated: r.updated },
    );
    return toRecord(r);
  };

  return {
    name: 'sqlite',
    address: options.path ?? 'sqlite',
    async create(collection, data, opts) {
      const o = checkFields(opts, 'the create options', ['database', 'id']);
      const at = checkPlace(collection, opts, fallback);
      const id = o.id === undefined ? randomUUID() : checkId(o.id);
      const text = checkRecord(data);
      const t = Date.now();
      const row = { id, data: text, version: 1, created: t, updated: t };
      return write(at.database, at.collection, () => {
        const c = catalog.make(at.database, at.collection);
        if (c.stmt('get').get({ id })) throw idTaken(at.collection, id);
        return save(c, row, true);
      });
    },
    async read(collection, id, opts) {
      checkFields(opts, 'the read options', ['database']);
      const at = checkPlace(collection, opts, fallback);
      const key = checkId(id);
      const row = catalog.find(at.database, at.collection)?.stmt('get').get({ id: key }) as
        StoredRow | undefined;
      return row && toRecord(row);
    },
    async update(collection, id, data, opts) {
      const o = checkUpdate(opts);
      const at = checkPlace(collection, opts, fallback);
      const key = checkId(id);
      const text = checkRecord(data);
      return write(at.database, at.collection, () => {
        const found = catalog.find(at.database, at.collection);
        const before = found?.stmt('get').get({ id: key }) as StoredRow | undefined;
        const r = updatedRow(at.collection, key, before, { data, text, options: o }, Date.now());
        return save(found ?? catalog.make(at.database, at.collection), r, !before);
      });
    },
    async delete(collection, id, opts) {
      const o = checkDelete(opts);
      const at = checkPlace(collection, opts, fallback);
      const key = checkId(id);
      return write(at.database, at.collection, () => {
        const c = catalog.find(at.database, at.collection);
        const before = c?.stmt('get').get({ id: key }) as StoredRow | undefined;
        checkDeleteVersion(key, o.ifVersion, before);
        return before !== undefined && c!.stmt('delete').run({ id: key }).changes > 0;
      });
    },
    async query(collection, opts) {
      const q = checkQuery(opts);
      const at = checkPlace(collection, opts, fallback);
      const c = catalog.find(at.database, at.collection);
      if (!c) return { records: [] };
      const compiler = new Compiler(c.indexed);
      const rows = catalog.prepare(compiler.select(c.table, q)).all(compiler.params) as StoredRow[];
      const records = rows.slice(0, q.limit).map(toRecord);
      return rows.length > q.limit
        ? { records, next: encodeCursor(q.sort, sortValuesOf(records.at(-1)!, q.sort)) }
        : { records };
    },
    async count(collection, opts) {
      const conditions = checkCount(opts);
      const at = checkPlace(collection, opts, fallback);
      const c = catalog.find(at.database, at.collection);
      if (!c) return 0;
      const compiler = new Compiler(c.indexed);
      const text = `SELECT count(*) FROM ${c.table} WHERE ${compiler.where(conditions)}`;
      return catalog.prepare(text).pluck().get(compiler.params) as number;
    },
    async createIndex(collection, index, opts) {
      checkFields(opts, 'the index options', ['database']);
      const at = checkPlace(collection, opts, fallback);
      return catalog.createIndex(at.database, at.collection, checkIndex(index));
    },
    async dropIndex(collection, name, opts) {
      checkFields(opts, 'the index options', ['database']);
      const at = checkPlace(collection, opts, fallback);
      return catalog.dropIndex(at.database, at.collection, checkName(name, 'name'));
    },
    async collections(database) {
      const only = database === undefined ? undefined : checkName(database, 'database');
      return catalog.list(only);
    },
    async dropCollection(collection, opts) {
      checkFields(opts, 'the drop options', ['database']);
      const at = checkPlace(collection, opts, fallback);
      return catalog.drop(at.database, at.collection);
    },
    async close() {
      if (owned && sql.open) sql.close();
    },
  };
}

// The PostgreSQL db (MICRO_DB=postgres, at a postgres:// URL or host:port): each collection a table
// of rows (id, version, created_at, updated_at, data jsonb) named from a hash of its database and
// name, described by catalog tables (postgres-schema.ts); an index is an expression index on the
// jsonb paths (UNIQUE, counting only records having every field, for a unique one). Queries are
// the engine-neutral form (query.ts) compiled by postgres-sql.ts: every value a bound parameter,
// the contract's type order, keyset paging.
//
// Guarantees: every input is checked first (validate.ts: the same 400s as every engine); a write
// is one statement or one transaction, durable once PostgreSQL commits it; an update reads the
// record FOR UPDATE, so versions never skip or repeat under concurrent writers. Limits: a pool of
// `poolSize` connections (10), each statement at most `timeout` ms (10 s); `pg` loads on first use.
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { MicroError } from '../../runtime/errors.ts';
import type { Db, DbRecord, JsonObject, RecordPage } from './db.ts';
import { idTaken, noRecord } from './errors.ts';
import { checkRecord } from './json.ts';
import {
  dbError,
  inTransaction,
  openPool,
  shownAddress,
  sqlState,
  type PostgresConnection,
} from './postgres-pool.ts';
import * as schema from './postgres-schema.ts';
import * as sql from './postgres-sql.ts';
import { encodeCursor, sortValuesOf } from './query.ts';
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
import { checkDeleteVersion, updatedRow } from './write.ts';

/** Options of the PostgreSQL db. */
export interface PostgresDbOptions extends Partial<PostgresConnection> {
  /** A postgres:// URL (the same as `address`). */
  url?: string;
  /** The database of calls that name none (default `micro`). */
  database?: string;
}

interface Row {
  id: string;
  version: number;
  created_at: number;
  updated_at: number;
  data: JsonObject;
}

const toRecord = (r: Row): DbRecord => ({
  id: r.id,
  version: r.version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  data: r.data,
});

type Place = { database: string; collection: string };

/** A Db in PostgreSQL. */
export function createPostgresDb(options: PostgresDbOptions = {}): Db {
  const address = options.url ?? options.address ?? '127.0.0.1:5432';
  const fallback = checkName(options.database ?? DEFAULT_DATABASE, 'database');
  let pooling: Promise<Pool> | undefined;
  let closed = false;
  const open = async (): Promise<Pool> => {
    const p = await openPool({ ...options, address });
    await schema.makeCatalogs(p).catch(async (err: unknown) => {
      await p.end().catch(() => undefined);
      throw err;
    });
    return p;
  };
  const pool = async (): Promise<Pool> => {
    if (closed) throw new MicroError('db', 503, 'the PostgreSQL db is closed');
    pooling ??= open().catch((err: unknown) => {
      pooling = undefined;
      throw err;
    });
    return pooling.catch((err: unknown) => Promise.reject(dbError(err, address)));
  };

  /** The db's error for a failure of `at`'s statement (a unique violation names its index). */
  const failure = async (p: Pool, at: Place, err: unknown): Promise<Error> =>
    sqlState(err) === '23505' && !(err instanceof MicroError)
      ? schema.uniqueError(
          p,
          at.database,
          at.collection,
          String((err as { constraint?: string }).constraint),
        )
      : dbError(err, address);

  /** Runs fn on the collection's table; when there is no table yet, `missing` says what then. */
  async function run<T>(
    at: Place,
    fn: (p: Pool, table: string) => Promise<T>,
    missing: (() => T) | 'make',
  ): Promise<T> {
    const p = await pool();
    const table = sql.tableOf(at.database, at.collection);
    try {
      try {
        return await fn(p, table);
      } catch (err) {
        if (sqlState(err) !== '42P01') throw err;
        if (missing !== 'make') return missing();
        await inTransaction(p, (c) => schema.makeCollection(c, at.database, at.collection));
        return await fn(p, table);
      }
    } catch (err) {
      throw await failure(p, at, err);
    }
  }

  const select = async (c: { query: Pool['query'] }, table: string, id: string, lock = '') =>
    (await c.query<Row>(`SELECT ${sql.RECORD} FROM ${table} WHERE id = $1${lock}`, [id])).rows[0];
  const schemaCall = async <T>(at: Place, fn: (p: Pool) => Promise<T>): Promise<T> => {
    const p = await pool();
    return fn(p).catch(async (err: unknown) => Promise.reject(await failure(p, at, err)));
  };

  return {
    name: 'postgres',
    address: shownAddress(address),
    async create(collection, data, opts) {
      const o = checkFields(opts, 'the create options', ['database', 'id']);
      const at = checkPlace(collection, opts, fallback);
      const id = o.id === undefined ? randomUUID() : checkId(o.id);
      const text = checkRecord(data);
      const insert = `INSERT INTO %t VALUES ($1, 1, $2, $2, $3::jsonb) ON CONFLICT (id) DO NOTHING RETURNING ${sql.RECORD}`;
      const row = await run(
        at,
        async (p, table) =>
          (await p.query<Row>(insert.replace('%t', table), [id, Date.now(), text])).rows[0],
        'make',
      );
      if (!row) throw idTaken(at.collection, id);
      return toRecord(row);
    },
    async read(collection, id, opts) {
      checkFields(opts, 'the read options', ['database']);
      const at = checkPlace(collection, opts, fallback);
      const key = checkId(id);
      const row = await run(
        at,
        (p, table) => select(p, table, key),
        () => undefined,
      );
      return row && toRecord(row);
    },
    async update(collection, id, data, opts) {
      const o = checkUpdate(opts);
      const at = checkPlace(collection, opts, fallback);
      const key = checkId(id);
      const patch = { data, text: checkRecord(data), options: o };
      const write = (p: Pool, table: string) =>
        inTransaction(p, async (c) => {
          const found = await select(c, table, key, ' FOR UPDATE');
          const before = found && { ...found, created: found.created_at };
          const next = updatedRow(at.collection, key, before, patch, Date.now());
          const sets = before
            ? `UPDATE ${table} SET version = $4, updated_at = $2, data = $3::jsonb WHERE id = $1`
            : // A concurrent upsert of the same id makes this one's insert fail: a 409, not a lost write.
              `INSERT INTO ${table} VALUES ($1, $4, $2, $2, $3::jsonb) ON CONFLICT (id) DO NOTHING`;
          const r = await c.query<Row>(`${sets} RETURNING ${sql.RECORD}`, [
            key,
            next.updated,
            next.data,
            next.version,
          ]);
          if (!r.rows[0]) throw idTaken(at.collection, key);
          return r.rows[0];
        });
      // Without upsert, a missing table is a missing record: nothing is made.
      const row = await run(
        at,
        write,
        o.upsert
          ? 'make'
          : () => {
              updatedRow(at.collection, key, undefined, patch, 0); // throws its 409 or 404
              throw noRecord(at.collection, key);
            },
      );
      return toRecord(row);
    },
    async delete(collection, id, opts) {
      const o = checkDelete(opts);
      const at = checkPlace(collection, opts, fallback);
      const key = checkId(id);
      return run(
        at,
        async (p, table) => {
          const r = await p.query(
            `DELETE FROM ${table} WHERE id = $1 AND ($2::int IS NULL OR version = $2::int)`,
            [key, o.ifVersion ?? null],
          );
          if (r.rowCount === 1) return true;
          if (o.ifVersion !== undefined)
            checkDeleteVersion(key, o.ifVersion, await select(p, table, key));
          return false;
        },
        () => {
          checkDeleteVersion(key, o.ifVersion, undefined);
          return false;
        },
      );
    },
    async query(collection, opts) {
      const q = checkQuery(opts);
      const at = checkPlace(collection, opts, fallback);
      return run(
        at,
        async (p, table): Promise<RecordPage> => {
          const params = new sql.Params();
          const where = sql.whereClause(params, q);
          const limit = params.add(q.limit + 1, 'int');
          const r = await p.query<Row>(
            `SELECT ${sql.RECORD} FROM ${table} WHERE ${where} ORDER BY ${sql.orderBy(q.sort)} LIMIT ${limit}`,
            params.values,
          );
          const records = r.rows.slice(0, q.limit).map(toRecord);
          const last = records.at(-1);
          return r.rows.length > q.limit && last
            ? { records, next: encodeCursor(q.sort, sortValuesOf(last, q.sort)) }
            : { records };
        },
        (): RecordPage => ({ records: [] }),
      );
    },
    async count(collection, opts) {
      const conditions = checkCount(opts);
      const at = checkPlace(collection, opts, fallback);
      return run(
        at,
        async (p, table) => {
          const params = new sql.Params();
          const where = sql.whereClause(params, { conditions });
          const r = await p.query<{ n: number }>(
            `SELECT count(*)::float8 AS n FROM ${table} WHERE ${where}`,
            params.values,
          );
          return r.rows[0]?.n ?? 0;
        },
        () => 0,
      );
    },
    async createIndex(collection, index, opts) {
      checkFields(opts, 'the index options', ['database']);
      const at = checkPlace(collection, opts, fallback);
      const spec = checkIndex(index);
      return schemaCall(at, (p) => schema.createIndex(p, at.database, at.collection, spec));
    },
    async dropIndex(collection, name, opts) {
      checkFields(opts, 'the index options', ['database']);
      const at = checkPlace(collection, opts, fallback);
      const index = checkName(name, 'name');
      return schemaCall(at, (p) => schema.dropIndex(p, at.database, at.collection, index));
    },
    async collections(database) {
      const only = database === undefined ? undefined : checkName(database, 'database');
      return schemaCall({ database: '', collection: '' }, (p) => schema.listCollections(p, only));
    },
    async dropCollection(collection, opts) {
      checkFields(opts, 'the drop options', ['database']);
      const at = checkPlace(collection, opts, fallback);
      return schemaCall(at, (p) => schema.dropCollection(p, at.database, at.collection));
    },
    async close() {
      closed = true;
      const p = await pooling?.catch(() => undefined);
      pooling = undefined;
      await p?.end();
    },
  };
}

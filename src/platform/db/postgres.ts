// The PostgreSQL db (MICRO_DB=postgres, at a postgres:// URL or host:port): each collection a table
// of rows (id, version, created_at, updated_at, data jsonb) named from a hash of its database and
// name, with catalogs of collections and indexes; an index is an expression index on the jsonb
// paths (UNIQUE, counting only records having every field, for a unique one). Queries are compiled
// by postgres-sql.ts: every value a bound parameter, keyset paging.
//
// Guarantees: a write is one statement or one transaction, durable once PostgreSQL commits it; an
// update reads the record FOR UPDATE, so versions never skip or repeat under concurrent writers.
// Tables and indexes are made under an advisory lock, so processes sharing a server agree. Limits:
// a pool of `poolSize` connections (10), each statement at most `timeout` ms (10 s); jsonb cannot
// hold the character U+0000 in a string (a 400 says so); numbers are kept as jsonb numerics.
import type { Pool, PoolClient } from 'pg';
import { badRequest, conflict, notFound } from '../../runtime/errors.ts';
import type { CollectionInfo, Db, DbRecord, JsonObject, RecordPage } from './db.ts';
import { DB_LIMITS } from './db.ts';
import {
  dbError,
  inTransaction,
  openPool,
  shownAddress,
  sqlState,
  type PostgresConnection,
} from './postgres-pool.ts';
import * as sql from './postgres-sql.ts';
import { checkIndex, checkSize, mergePatch, planQuery, versionConflict } from './postgres-tmp.ts';

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

/** Serialises DDL of every process sharing the server (catalogs, tables, indexes). */
const LOCK = "SELECT pg_advisory_xact_lock(hashtext('micro_db'))";

/** A Db in PostgreSQL. */
export function createPostgresDb(options: PostgresDbOptions = {}): Db {
  const address = options.url ?? options.address ?? '127.0.0.1:5432';
  const fallback = options.database ?? 'micro';
  let pooling: Promise<Pool> | undefined;
  let closed = false;
  const pool = (): Promise<Pool> => {
    if (closed) return Promise.reject(new Error('the PostgreSQL db is closed'));
    return (pooling ??= (async () => {
      const p = await openPool({ ...options, address });
      try {
        await inTransaction(p, async (c) => {
          await c.query(LOCK);
          for (const ddl of sql.CATALOG) await c.query(ddl);
        });
      } catch (err) {
        pooling = undefined;
        await p.end().catch(() => undefined);
        throw err;
      }
      return p;
    })());
  };
  const indexNames = new Map<string, string>();
  const fail = (err: unknown) => dbError(err, address, (c) => indexNames.get(c));

  /** Runs fn; when the collection's table is missing, makes it (if `make`) and runs fn again. */
  async function run<T>(
    database: string,
    collection: string,
    fn: (p: Pool, table: string) => Promise<T>,
    missing: () => T | 'make',
  ): Promise<T> {
    const p = await pool().catch((err: unknown) => Promise.reject(fail(err)));
    const table = sql.tableOf(database, collection);
    try {
      return await fn(p, table);
    } catch (err) {
      if (sqlState(err) !== '42P01') throw fail(err);
      const otherwise = missing();
      if (otherwise !== 'make') return otherwise;
      await ensure(p, database, collection, table).catch((e: unknown) => Promise.reject(fail(e)));
      return fn(p, table).catch((e: unknown) => Promise.reject(fail(e)));
    }
  }

  async function ensure(p: Pool | PoolClient, database: string, collection: string, table: string) {
    const make = async (c: PoolClient) => {
      await c.query(LOCK);
      await c.query(`INSERT INTO ${sql.COLLECTIONS} VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
        database,
        collection,
        Date.now(),
      ]);
      await c.query(sql.createTable(table));
    };
    if ('release' in p) await make(p);
    else await inTransaction(p, make);
  }

  const select = async (c: Pool | PoolClient, table: string, id: string, lock = '') => {
    const r = await c.query<Row>(`SELECT ${sql.RECORD} FROM ${table} WHERE id = $1${lock}`, [id]);
    return r.rows[0];
  };

  return {
    name: 'postgres',
    address: shownAddress(address),
    async create(collection, data, o) {
      const { database, id } = {
        database: o?.database ?? fallback,
        id: o?.id ?? crypto.randomUUID(),
      };
      const now = Date.now();
      const row = await run(
        database,
        collection,
        async (p, table) =>
          (
            await p.query<Row>(
              `INSERT INTO ${table} VALUES ($1, 1, $2, $2, $3::jsonb) ON CONFLICT (id) DO NOTHING RETURNING ${sql.RECORD}`,
              [id, now, JSON.stringify(data)],
            )
          ).rows[0],
        () => 'make',
      );
      if (!row)
        throw conflict(
          'db',
          `record ${JSON.stringify(id)} already exists in ${database}/${collection}`,
        );
      return toRecord(row);
    },
    async read(collection, id, o) {
      const row = await run(
        o?.database ?? fallback,
        collection,
        (p, t) => select(p, t, id),
        () => undefined,
      );
      return row && toRecord(row);
    },
    async update(collection, id, data, o) {
      const database = o?.database ?? fallback;
      const where = `${database}/${collection}`;
      const row = await run(
        database,
        collection,
        (p, table) =>
          inTransaction(p, async (c) => {
            const now = Date.now();
            const current = await select(c, table, id, ' FOR UPDATE');
            if (o?.ifVersion !== undefined && current?.version !== o.ifVersion)
              throw conflict('db', versionConflict(id, where, o.ifVersion, current?.version));
            if (!current && !o?.upsert)
              throw notFound('db', `record ${JSON.stringify(id)} not found in ${where}`);
            const next = o?.mode === 'replace' ? data : mergePatch(current?.data ?? {}, data);
            checkSize(next);
            const written = current
              ? await c.query<Row>(
                  `UPDATE ${table} SET version = version + 1, updated_at = $2, data = $3::jsonb WHERE id = $1 RETURNING ${sql.RECORD}`,
                  [id, now, JSON.stringify(next)],
                )
              : await c.query<Row>(
                  `INSERT INTO ${table} VALUES ($1, 1, $2, $2, $3::jsonb) RETURNING ${sql.RECORD}`,
                  [id, now, JSON.stringify(next)],
                );
            return written.rows[0]!;
          }),
        () => 'make',
      );
      return toRecord(row);
    },
    async delete(collection, id, o) {
      const database = o?.database ?? fallback;
      const version = o?.ifVersion;
      return run(
        database,
        collection,
        async (p, table) => {
          const r = await p.query<{ version: number }>(
            `DELETE FROM ${table} WHERE id = $1 AND ($2::int IS NULL OR version = $2::int) RETURNING version`,
            [id, version ?? null],
          );
          if (r.rowCount === 1) return true;
          if (version === undefined) return false;
          const current = await select(p, table, id);
          if (!current) return false;
          throw conflict(
            'db',
            versionConflict(id, `${database}/${collection}`, version, current.version),
          );
        },
        () => false,
      );
    },
    async query(collection, o = {}) {
      const database = o.database ?? fallback;
      const plan = planQuery(o);
      return run(
        database,
        collection,
        async (p, table) => {
          const q = new sql.Sql();
          const where = sql.whereClause(q, plan.conditions, plan.sort, plan.after);
          const limit = q.param(plan.limit + 1, 'int');
          const r = await p.query<Row>(
            `SELECT ${sql.RECORD} FROM ${table} WHERE ${where} ORDER BY ${sql.orderBy(plan.sort)} LIMIT ${limit}`,
            q.params,
          );
          const records = r.rows.slice(0, plan.limit).map(toRecord);
          const last = records.at(-1);
          return r.rows.length > plan.limit && last
            ? { records, next: plan.cursorAfter(last) }
            : { records };
        },
        (): RecordPage => ({ records: [] }),
      );
    },
    async count(collection, o = {}) {
      const plan = planQuery({ where: o.where });
      return run(
        o.database ?? fallback,
        collection,
        async (p, table) => {
          const q = new sql.Sql();
          const where = sql.whereClause(q, plan.conditions);
          const r = await p.query<{ n: number }>(
            `SELECT count(*)::float8 AS n FROM ${table} WHERE ${where}`,
            q.params,
          );
          return r.rows[0]?.n ?? 0;
        },
        () => 0,
      );
    },
    async createIndex(collection, index, o) {
      const database = o?.database ?? fallback;
      const spec = checkIndex(index);
      const p = await pool().catch((err: unknown) => Promise.reject(fail(err)));
      const table = sql.tableOf(database, collection);
      indexNames.set(sql.indexOf(table, spec.name), spec.name);
      try {
        return await inTransaction(p, async (c) => {
          await ensure(c, database, collection, table);
          const found = await c.query<{ fields: string[]; is_unique: boolean }>(
            `SELECT fields, is_unique FROM ${sql.INDEXES} WHERE database = $1 AND collection = $2 AND name = $3`,
            [database, collection, spec.name],
          );
          const had = found.rows[0];
          if (had) {
            if (
              JSON.stringify(had.fields) === JSON.stringify(spec.fields) &&
              had.is_unique === spec.unique
            )
              return spec;
            throw conflict(
              'db',
              `index ${JSON.stringify(spec.name)} of ${database}/${collection} exists with other fields or uniqueness`,
            );
          }
          const n = await c.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM ${sql.INDEXES} WHERE database = $1 AND collection = $2`,
            [database, collection],
          );
          if ((n.rows[0]?.n ?? 0) >= DB_LIMITS.indexes)
            throw badRequest(
              'db',
              `${database}/${collection} has ${DB_LIMITS.indexes} indexes, the most a collection may have`,
            );
          await c.query(`INSERT INTO ${sql.INDEXES} VALUES ($1, $2, $3, $4::jsonb, $5)`, [
            database,
            collection,
            spec.name,
            JSON.stringify(spec.fields),
            spec.unique,
          ]);
          await c.query(sql.createIndex(table, spec.name, spec.fields, spec.unique));
          return spec;
        });
      } catch (err) {
        throw fail(err);
      }
    },
    async dropIndex(collection, name, o) {
      const database = o?.database ?? fallback;
      const p = await pool().catch((err: unknown) => Promise.reject(fail(err)));
      const table = sql.tableOf(database, collection);
      try {
        return await inTransaction(p, async (c) => {
          await c.query(LOCK);
          const r = await c.query(
            `DELETE FROM ${sql.INDEXES} WHERE database = $1 AND collection = $2 AND name = $3`,
            [database, collection, name],
          );
          await c.query(`DROP INDEX IF EXISTS ${sql.indexOf(table, name)}`);
          return r.rowCount === 1;
        });
      } catch (err) {
        throw fail(err);
      }
    },
    async collections(database) {
      const p = await pool().catch((err: unknown) => Promise.reject(fail(err)));
      try {
        const list = await p.query<{ database: string; collection: string }>(
          `SELECT database, collection FROM ${sql.COLLECTIONS} WHERE $1::text IS NULL OR database = $1 ORDER BY database, collection LIMIT 1000`,
          [database ?? null],
        );
        const indexes = await p.query<{
          database: string;
          collection: string;
          name: string;
          fields: string[];
          is_unique: boolean;
        }>(
          `SELECT database, collection, name, fields, is_unique FROM ${sql.INDEXES} WHERE $1::text IS NULL OR database = $1 ORDER BY name`,
          [database ?? null],
        );
        const out: CollectionInfo[] = [];
        for (const c of list.rows) {
          const table = sql.tableOf(c.database, c.collection);
          const n = await p.query<{ n: number }>(`SELECT count(*)::float8 AS n FROM ${table}`).then(
            (r) => r.rows[0]?.n ?? 0,
            () => 0,
          );
          out.push({
            database: c.database,
            collection: c.collection,
            count: n,
            indexes: indexes.rows
              .filter((i) => i.database === c.database && i.collection === c.collection)
              .map((i) => ({ name: i.name, fields: i.fields, unique: i.is_unique })),
          });
        }
        return out;
      } catch (err) {
        throw fail(err);
      }
    },
    async dropCollection(collection, o) {
      const database = o?.database ?? fallback;
      const p = await pool().catch((err: unknown) => Promise.reject(fail(err)));
      try {
        return await inTransaction(p, async (c) => {
          await c.query(LOCK);
          const r = await c.query(
            `DELETE FROM ${sql.COLLECTIONS} WHERE database = $1 AND collection = $2`,
            [database, collection],
          );
          await c.query(`DELETE FROM ${sql.INDEXES} WHERE database = $1 AND collection = $2`, [
            database,
            collection,
          ]);
          await c.query(`DROP TABLE IF EXISTS ${sql.tableOf(database, collection)}`);
          return r.rowCount === 1;
        });
      } catch (err) {
        throw fail(err);
      }
    },
    async close() {
      closed = true;
      const p = await pooling?.catch(() => undefined);
      pooling = undefined;
      await p?.end();
    },
  };
}

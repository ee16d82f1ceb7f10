// The PostgreSQL engine's collections and indexes: the catalogs (micro_db_collections,
// micro_db_indexes) and the tables and expression indexes they describe, changed together in one
// transaction under an advisory lock, so that processes sharing a server never see one without
// the other, and so that two making the same table do not collide.
import type { Pool, PoolClient } from 'pg';
import { DB_LIMITS, type CollectionInfo, type IndexSpec } from './db.ts';
import { conflictWith, invalid, uniqueTaken } from './errors.ts';
import { inTransaction } from './postgres-pool.ts';
import * as sql from './postgres-sql.ts';
import { checkPath } from './validate.ts';

/** Serialises DDL of every process sharing the server. */
export const LOCK = "SELECT pg_advisory_xact_lock(hashtext('micro_db'))";

/** Makes the catalogs, once per pool. */
export async function makeCatalogs(p: Pool): Promise<void> {
  await inTransaction(p, async (c) => {
    await c.query(LOCK);
    for (const ddl of sql.CATALOG) await c.query(ddl);
  });
}

/** Makes a collection's table and catalog entry if missing, inside the caller's transaction. */
export async function makeCollection(c: PoolClient, database: string, collection: string) {
  await c.query(LOCK);
  await c.query(`INSERT INTO ${sql.COLLECTIONS} VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
    database,
    collection,
    Date.now(),
  ]);
  await c.query(sql.createTable(sql.tableOf(database, collection)));
}

interface IndexRow {
  database: string;
  collection: string;
  name: string;
  fields: string[];
  is_unique: boolean;
}

const spec = (r: IndexRow): Required<IndexSpec> => ({
  name: r.name,
  fields: r.fields,
  unique: r.is_unique,
});

const indexRows = async (c: Pool | PoolClient, database: string, collection?: string) =>
  (
    await c.query<IndexRow>(
      `SELECT database, collection, name, fields, is_unique FROM ${sql.INDEXES}
       WHERE database = $1 AND ($2::text IS NULL OR collection = $2) ORDER BY name`,
      [database, collection ?? null],
    )
  ).rows;

/** Declares an index (the same spec again is a no-op; another under its name a 409). */
export function createIndex(
  p: Pool,
  database: string,
  collection: string,
  index: Required<IndexSpec>,
): Promise<Required<IndexSpec>> {
  const table = sql.tableOf(database, collection);
  return inTransaction(p, async (c) => {
    await makeCollection(c, database, collection);
    const rows = await indexRows(c, database, collection);
    const had = rows.find((r) => r.name === index.name);
    if (had) {
      if (JSON.stringify(spec(had)) === JSON.stringify(index)) return index;
      throw conflictWith(
        `collection ${collection} has another index named ${index.name} (fields ${had.fields.join(', ')}${had.is_unique ? ', unique' : ''})`,
      );
    }
    if (rows.length >= DB_LIMITS.indexes)
      throw invalid(`index: collection ${collection} has ${DB_LIMITS.indexes} indexes, the limit`);
    await c.query(`INSERT INTO ${sql.INDEXES} VALUES ($1, $2, $3, $4::jsonb, $5)`, [
      database,
      collection,
      index.name,
      JSON.stringify(index.fields),
      index.unique,
    ]);
    const paths = index.fields.map((f) => checkPath(f, 'index.fields'));
    try {
      await c.query(sql.createIndex(table, index, paths));
    } catch (err) {
      // Records already holding the same values: the index is not made.
      if ((err as { code?: string }).code === '23505')
        throw uniqueTaken(collection, index.name, index.fields);
      throw err;
    }
    return index;
  });
}

/** Drops an index; false when there was none. */
export function dropIndex(p: Pool, database: string, collection: string, name: string) {
  return inTransaction(p, async (c) => {
    await c.query(LOCK);
    const r = await c.query(
      `DELETE FROM ${sql.INDEXES} WHERE database = $1 AND collection = $2 AND name = $3`,
      [database, collection, name],
    );
    await c.query(`DROP INDEX IF EXISTS ${sql.indexOf(sql.tableOf(database, collection), name)}`);
    return r.rowCount === 1;
  });
}

/** Removes a collection with its records and indexes; false when there was none. */
export function dropCollection(p: Pool, database: string, collection: string) {
  return inTransaction(p, async (c) => {
    await c.query(LOCK);
    const at = [database, collection];
    const r = await c.query(
      `DELETE FROM ${sql.COLLECTIONS} WHERE database = $1 AND collection = $2`,
      at,
    );
    await c.query(`DELETE FROM ${sql.INDEXES} WHERE database = $1 AND collection = $2`, at);
    await c.query(`DROP TABLE IF EXISTS ${sql.tableOf(database, collection)}`);
    return r.rowCount === 1;
  });
}

/** The collections (of one database or all) in code point order, at most 1,000, with counts. */
export async function listCollections(p: Pool, database?: string): Promise<CollectionInfo[]> {
  const list = await p.query<{ database: string; collection: string }>(
    `SELECT database, collection FROM ${sql.COLLECTIONS} WHERE $1::text IS NULL OR database = $1
     ORDER BY database, collection LIMIT 1000`,
    [database ?? null],
  );
  const indexes = await p.query<IndexRow>(
    `SELECT database, collection, name, fields, is_unique FROM ${sql.INDEXES}
     WHERE $1::text IS NULL OR database = $1 ORDER BY name`,
    [database ?? null],
  );
  const out: CollectionInfo[] = [];
  for (const c of list.rows) {
    const table = sql.tableOf(c.database, c.collection);
    // A table dropped since the catalog was read counts as empty.
    const n = await p.query<{ n: number }>(`SELECT count(*)::float8 AS n FROM ${table}`).then(
      (r) => r.rows[0]?.n ?? 0,
      () => 0,
    );
    const mine = indexes.rows.filter(
      (i) => i.database === c.database && i.collection === c.collection,
    );
    out.push({ ...c, count: n, indexes: mine.map(spec) });
  }
  return out;
}

/** The 409 of a write refused by a unique index (PostgreSQL's `constraint`), naming the index. */
export async function uniqueError(
  p: Pool,
  database: string,
  collection: string,
  constraint: string,
): Promise<Error> {
  const table = sql.tableOf(database, collection);
  const rows = await indexRows(p, database, collection).catch(() => []);
  const found = rows.find((r) => sql.indexOf(table, r.name) === constraint);
  return uniqueTaken(collection, found?.name ?? 'of the collection', found?.fields ?? []);
}

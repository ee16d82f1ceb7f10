// The SQLite db's catalog (for sqlite.ts): which table holds a collection, and its indexes with
// their generated columns, in the tables db_collections and db_indexes; cached in memory and read
// again after this process's DDL. Every DDL statement here names tables, columns and indexes by
// numbers of the catalog's own (db_r3, t2, v2, db_r3_i4); index fields reach DDL only as hex
// literals of validated paths (sqlite-sql.ts).
import type Database from 'better-sqlite3';
import { DB_LIMITS, type CollectionInfo, type IndexSpec } from './db.ts';
import { conflictWith, invalid, uniqueTaken } from './errors.ts';
import { generatedColumns, indexColumns } from './sqlite-sql.ts';
import { Collection } from './sqlite-table.ts';
import { checkPath } from './validate.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS db_collections (
  database TEXT NOT NULL, collection TEXT NOT NULL, tbl INTEGER NOT NULL UNIQUE, next INTEGER NOT NULL,
  PRIMARY KEY (database, collection)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS db_indexes (
  database TEXT NOT NULL, collection TEXT NOT NULL, name TEXT NOT NULL, fields TEXT NOT NULL,
  is_unique INTEGER NOT NULL, cols TEXT NOT NULL, sql_name TEXT NOT NULL,
  PRIMARY KEY (database, collection, name)) WITHOUT ROWID;
`;

/** The catalog of one SQLite file's collections. */
export class Catalog {
  private readonly cache = new Map<string, Collection | null>();
  private readonly queries = new Map<string, Database.Statement>();
  private readonly sql: Database.Database;
  private readonly q;
  constructor(sql: Database.Database) {
    this.sql = sql;
    sql.exec(SCHEMA);
    this.q = {
      one: sql.prepare(
        'SELECT tbl, next FROM db_collections WHERE database = ? AND collection = ?',
      ),
      indexes: sql.prepare(
        'SELECT name, fields, is_unique, cols, sql_name FROM db_indexes WHERE database = ? AND collection = ? ORDER BY name',
      ),
      tbl: sql.prepare('SELECT coalesce(max(tbl), 0) + 1 FROM db_collections').pluck(),
      add: sql.prepare(
        'INSERT INTO db_collections (database, collection, tbl, next) VALUES (?, ?, ?, 1)',
      ),
      next: sql.prepare('UPDATE db_collections SET next = ? WHERE database = ? AND collection = ?'),
      addIndex: sql.prepare(
        'INSERT INTO db_indexes (database, collection, name, fields, is_unique, cols, sql_name) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      dropIndex: sql.prepare(
        'DELETE FROM db_indexes WHERE database = ? AND collection = ? AND name = ?',
      ),
      drop: sql.prepare('DELETE FROM db_collections WHERE database = ? AND collection = ?'),
      dropIndexes: sql.prepare('DELETE FROM db_indexes WHERE database = ? AND collection = ?'),
      list: sql.prepare(
        'SELECT database, collection FROM db_collections ORDER BY database, collection LIMIT 1000',
      ),
      listOne: sql.prepare(
        'SELECT database, collection FROM db_collections WHERE database = ? ORDER BY collection LIMIT 1000',
      ),
    };
  }

  /** The collection, or undefined when there is none. */
  find(database: string, name: string): Collection | undefined {
    const key = `${database}/${name}`;
    let c = this.cache.get(key);
    if (c === undefined) {
      const row = this.q.one.get(database, name) as { tbl: number; next: number } | undefined;
      const indexes = row
        ? (this.q.indexes.all(database, name) as {
            name: string;
            fields: string;
            is_unique: number;
            cols: string;
            sql_name: string;
          }[])
        : [];
      c = row
        ? new Collection(
            this.sql,
            { database, name, tbl: row.tbl, next: row.next },
            indexes.map((r) => ({
              spec: {
                name: r.name,
                fields: JSON.parse(r.fields) as string[],
                unique: r.is_unique === 1,
              },
              cols: JSON.parse(r.cols) as (number | null)[],
              sqlName: r.sql_name,
            })),
          )
        : null;
      this.cache.set(key, c);
    }
    return c ?? undefined;
  }

  /** The collection, made if missing (inside the caller's transaction). */
  make(database: string, name: string): Collection {
    const found = this.find(database, name);
    if (found) return found;
    const tbl = this.q.tbl.get() as number;
    this.sql.exec(`CREATE TABLE db_r${tbl} (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL,
      version INTEGER NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID`);
    this.q.add.run(database, name, tbl);
    this.forget(database, name);
    return this.find(database, name)!;
  }

  /** Forgets what is cached of a collection (after DDL, or a transaction rolled back). */
  forget(database: string, name: string): void {
    this.cache.delete(`${database}/${name}`);
    this.queries.clear();
  }

  /** A prepared query, cached by its text (which holds no caller's data: values are bound). */
  prepare(text: string): Database.Statement {
    let s = this.queries.get(text);
    if (!s) {
      if (this.queries.size >= 256) this.queries.clear();
      this.queries.set(text, (s = this.sql.prepare(text)));
    }
    return s;
  }

  /** The 409 for a unique index's refusal, or undefined for another error. */
  uniqueError(err: unknown, c: Collection | undefined): Error | undefined {
    const code = (err as { code?: string }).code;
    if (code !== 'SQLITE_CONSTRAINT_UNIQUE' && code !== 'SQLITE_CONSTRAINT_PRIMARYKEY')
      return undefined;
    const cols = String((err as Error).message)
      .replace(/^[^:]*: /, '')
      .split(', ')
      .map((s) => s.replace(/^[^.]*\./, ''))
      .join();
    const ix = c?.indexes.find(
      (i) =>
        indexColumns(
          i.spec.fields.map((f) => checkPath(f, 'field')),
          i.cols,
        ).join() === cols,
    );
    return ix && c
      ? uniqueTaken(c.name, ix.spec.name, ix.spec.fields)
      : conflictWith(`a unique value is taken (${cols})`);
  }

  /** Declares an index (see Db.createIndex). */
  createIndex(database: string, name: string, spec: Required<IndexSpec>): Required<IndexSpec> {
    try {
      return this.sql.transaction(() => {
        const c = this.make(database, name);
        const had = c.indexes.find((i) => i.spec.name === spec.name);
        if (had) {
          if (JSON.stringify(had.spec) === JSON.stringify(spec)) return { ...spec };
          throw conflictWith(
            `collection ${name} has another index named ${spec.name} (fields ${had.spec.fields.join(', ')}${had.spec.unique ? ', unique' : ''})`,
          );
        }
        if (c.indexes.length >= DB_LIMITS.indexes)
          throw invalid(`index: collection ${name} has ${DB_LIMITS.indexes} indexes, the limit`);
        let next = c.next;
        const paths = spec.fields.map((f) => checkPath(f, 'index.fields'));
        const cols = paths.map((p) => {
          if (p.own) return null;
          const had = c.indexed.get(p.field);
          if (had !== undefined) return had;
          const k = next++;
          for (const def of generatedColumns(k, p))
            this.sql.exec(`ALTER TABLE ${c.table} ADD COLUMN ${def}`);
          return k;
        });
        const sqlName = `${c.table}_i${next++}`;
        const unique = spec.unique ? 'UNIQUE ' : '';
        this.sql.exec(
          `CREATE ${unique}INDEX ${sqlName} ON ${c.table} (${indexColumns(paths, cols).join(', ')})`,
        );
        this.q.addIndex.run(
          database,
          name,
          spec.name,
          JSON.stringify(spec.fields),
          Number(spec.unique),
          JSON.stringify(cols),
          sqlName,
        );
        this.q.next.run(next, database, name);
        return { ...spec, fields: [...spec.fields] };
      })();
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
        throw uniqueTaken(name, spec.name, spec.fields);
      throw err;
    } finally {
      this.forget(database, name);
    }
  }

  /** Drops an index and the generated columns no other index uses. */
  dropIndex(database: string, name: string, index: string): boolean {
    try {
      return this.sql.transaction(() => {
        const c = this.find(database, name);
        const ix = c?.indexes.find((i) => i.spec.name === index);
        if (!c || !ix) return false;
        this.sql.exec(`DROP INDEX ${ix.sqlName}`);
        this.q.dropIndex.run(database, name, index);
        const used = new Set(c.indexes.filter((i) => i !== ix).flatMap((i) => i.cols));
        for (const k of ix.cols)
          if (k !== null && !used.has(k))
            this.sql.exec(
              `ALTER TABLE ${c.table} DROP COLUMN t${k}; ALTER TABLE ${c.table} DROP COLUMN v${k}`,
            );
        return true;
      })();
    } finally {
      this.forget(database, name);
    }
  }

  /** Drops a collection's table and its entries. */
  drop(database: string, name: string): boolean {
    try {
      return this.sql.transaction(() => {
        const c = this.find(database, name);
        if (!c) return false;
        this.sql.exec(`DROP TABLE ${c.table}`);
        this.q.drop.run(database, name);
        this.q.dropIndexes.run(database, name);
        return true;
      })();
    } finally {
      this.forget(database, name);
    }
  }

  /** The collections, of one database or all, in order, at most 1,000. */
  list(database?: string): CollectionInfo[] {
    const rows = (database === undefined ? this.q.list.all() : this.q.listOne.all(database)) as {
      database: string;
      collection: string;
    }[];
    return rows.map(({ database: db, collection }) => {
      const c = this.find(db, collection)!;
      return {
        database: db,
        collection,
        count: this.prepare(`SELECT count(*) FROM ${c.table}`).pluck().get() as number,
        indexes: c.indexes.map((i) => ({ ...i.spec, fields: [...i.spec.fields] })),
      };
    });
  }
}

// A collection's table in the SQLite db (for sqlite-catalog.ts and sqlite.ts): its name (db_r<n>,
// a number of the catalog's), its indexes and their generated columns, and its prepared statements.
import type Database from 'better-sqlite3';
import type { IndexSpec } from './db.ts';

/** An index as the catalog keeps it. */
export interface Index {
  spec: Required<IndexSpec>;
  /** The generated columns' number per field (null for the record's own fields). */
  cols: (number | null)[];
  sqlName: string;
}

const STATEMENTS = {
  get: (t: string) => `SELECT id, data, version, created, updated FROM ${t} WHERE id = @id`,
  insert: (t: string) =>
    `INSERT INTO ${t} (id, data, version, created, updated) VALUES (@id, @data, @version, @created, @updated)`,
  update: (t: string) =>
    `UPDATE ${t} SET data = @data, version = @version, updated = @updated WHERE id = @id`,
  delete: (t: string) => `DELETE FROM ${t} WHERE id = @id`,
};

/** A collection's table and indexes, with its prepared statements. */
export class Collection {
  readonly database: string;
  readonly name: string;
  readonly table: string;
  /** The next number for a generated column or an index. */
  readonly next: number;
  readonly indexes: Index[];
  /** Indexed field paths to their generated columns' number. */
  readonly indexed = new Map<string, number>();
  private readonly sql: Database.Database;
  private readonly stmts = new Map<string, Database.Statement>();
  constructor(
    sql: Database.Database,
    at: { database: string; name: string; tbl: number; next: number },
    indexes: Index[],
  ) {
    this.sql = sql;
    this.database = at.database;
    this.name = at.name;
    this.table = `db_r${at.tbl}`;
    this.next = at.next;
    this.indexes = indexes;
    for (const ix of indexes)
      ix.spec.fields.forEach((f, i) => {
        const k = ix.cols[i];
        if (k !== null && k !== undefined) this.indexed.set(f, k);
      });
  }

  /** One of the collection's prepared statements. */
  stmt(kind: keyof typeof STATEMENTS): Database.Statement {
    let s = this.stmts.get(kind);
    if (!s) this.stmts.set(kind, (s = this.sql.prepare(STATEMENTS[kind](this.table))));
    return s;
  }
}

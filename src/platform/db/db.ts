// The database proxy (the seed's "db" and "DB Proxy"): named collections of JSON records per
// service, with create, read, update (merge or replace), delete, and queries by field equality,
// range, prefix and `in`, sorted and paged with a cursor, over secondary indexes declared per
// collection. One interface for every engine: memory (tests, one process), micro (the control
// plane's SQLite, the default: JSON columns and generated, indexed columns) and PostgreSQL (jsonb).
//
// Guarantees every implementation keeps (the contract suite, test/conformance/db.case.ts, checks
// them): a write is durable once acknowledged, as its engine is; a record's version grows by one on
// each write, and a write with `ifVersion` applies only if the version is still that one (else a
// 409, nothing changed); a unique index refuses a second record with the same values (409); a query
// sees every record that matched when it ran, in the order asked (ties broken by id), and paging
// with the cursor neither repeats nor skips a record that did not change meanwhile. Queries are
// parameterised: no value or field name given by a caller is ever spliced into SQL text.
//
// Limits (DB_LIMITS): database and collection names 1 to 64 of [A-Za-z0-9_-]; ids 1 to 256 bytes
// of UTF-8 (a UUID is made when none is given); a record is a JSON object of at most 1 MiB as JSON
// text and 100 levels deep, whose top-level names do not start with `$` or `_`; field paths are 1
// to 8 dot-separated names of [A-Za-z0-9_-]; a query has at most 32 conditions, an `$in` 1,000
// values, a sort 4 fields; a page at most 1,000 records; at most 16 indexes per collection, each 1
// to 4 fields. Anything past them is a 400 naming the field.

/** A JSON object, as records hold. */
export type JsonObject = { [name: string]: unknown };

/** A record as stored. */
export interface DbRecord {
  /** Its id, unique in the collection. */
  id: string;
  /** 1 when created, one more on each write. */
  version: number;
  /** When it was created, ms since the epoch. */
  createdAt: number;
  /** When it was last written. */
  updatedAt: number;
  /** Its fields. */
  data: JsonObject;
}

/** Where a collection lives: collections of different databases never meet. */
export interface DbNamespace {
  /** Default: the service's own name (service.db), or `micro` (a bare client). */
  database?: string;
}

/** Options of a create. */
export interface CreateOptions extends DbNamespace {
  /** The record's id (default: a new UUID); a taken id is a 409. */
  id?: string;
}

/** Options of an update. */
export interface UpdateOptions extends DbNamespace {
  /** `merge` (the default): a JSON merge patch (RFC 7386: null removes a field); `replace`: the whole record. */
  mode?: 'merge' | 'replace';
  /** Write only if the record's version is still this one; else a 409. */
  ifVersion?: number;
  /** Create the record when there is none (default false: a 404). */
  upsert?: boolean;
}

/** Options of a delete. */
export interface DbDeleteOptions extends DbNamespace {
  /** Delete only if the record's version is still this one; else a 409. */
  ifVersion?: number;
}

/**
 * One field's condition: a bare value (or null) is equality; else an object of operators, all of
 * which must hold. Range operators compare numbers with numbers and strings with strings (by UTF-8
 * code units); a record whose field is missing or of another type does not match them.
 */
export type Condition =
  | string
  | number
  | boolean
  | null
  | {
      /** Equal (a JSON scalar, or null: the field is missing or null; an object or array is neither). */
      $eq?: string | number | boolean | null;
      /** Not equal (a missing field is not equal to any value). */
      $ne?: string | number | boolean | null;
      /** Less than. */
      $lt?: string | number;
      /** Less than or equal. */
      $lte?: string | number;
      /** Greater than. */
      $gt?: string | number;
      /** Greater than or equal. */
      $gte?: string | number;
      /** A string field starting with this. */
      $prefix?: string;
      /** Equal to one of these (1 to 1,000 scalars). */
      $in?: (string | number | boolean)[];
    };

/**
 * Conditions by field path (`status`, `address.city`; `id`, `createdAt`, `updatedAt` name the
 * record's own fields), all of which must hold.
 */
export type Where = Record<string, Condition>;

/** Options of a query. */
export interface QueryOptions extends DbNamespace {
  /** The conditions (default: every record). */
  where?: Where;
  /**
   * Sort fields, `-` first for descending (`-createdAt`); ties broken by id, in the direction of the
   * last field. Default: by id.
   */
  sort?: string[];
  /** Records per page (1 to 1,000; default 100). */
  limit?: number;
  /** A previous page's `next`, with the same where and sort. */
  cursor?: string;
}

/** One page of a query. */
export interface RecordPage {
  /** The records of this page. */
  records: DbRecord[];
  /** Give it as `cursor` for the next page; absent on the last. */
  next?: string;
}

/** A secondary index of a collection. */
export interface IndexSpec {
  /** Its name (1 to 64 of [A-Za-z0-9_-]); default the fields joined by `_`. */
  name?: string;
  /** The field paths it covers, 1 to 4. */
  fields: string[];
  /** At most one record per combination of values (records missing a field are not counted). */
  unique?: boolean;
}

/** A collection, as listed. */
export interface CollectionInfo {
  /** Its database. */
  database: string;
  /** Its name. */
  collection: string;
  /** Records in it. */
  count: number;
  /** Its indexes. */
  indexes: Required<IndexSpec>[];
}

/** Collections of JSON records with queries and indexes. */
export interface Db {
  /** The implementation's name: memory, micro, postgres. */
  readonly name: string;
  /** Where its server is, for messages. */
  readonly address: string;
  /** Stores a new record (the collection is made on first use); 409 when the id is taken. */
  create(collection: string, data: JsonObject, options?: CreateOptions): Promise<DbRecord>;
  /** The record, or undefined when there is none. */
  read(collection: string, id: string, options?: DbNamespace): Promise<DbRecord | undefined>;
  /** Merges into or replaces a record; 404 when there is none (unless upsert). */
  update(
    collection: string,
    id: string,
    data: JsonObject,
    options?: UpdateOptions,
  ): Promise<DbRecord>;
  /** Removes a record; false when there was none. */
  delete(collection: string, id: string, options?: DbDeleteOptions): Promise<boolean>;
  /** One page of the records that match. */
  query(collection: string, options?: QueryOptions): Promise<RecordPage>;
  /** How many records match. */
  count(collection: string, options?: Pick<QueryOptions, 'where' | 'database'>): Promise<number>;
  /** Declares an index (idempotent for the same spec; a different spec under the name is a 409). */
  createIndex(
    collection: string,
    index: IndexSpec,
    options?: DbNamespace,
  ): Promise<Required<IndexSpec>>;
  /** Drops an index; false when there was none. */
  dropIndex(collection: string, name: string, options?: DbNamespace): Promise<boolean>;
  /** The collections, of one database or all, in order, at most 1,000. */
  collections(database?: string): Promise<CollectionInfo[]>;
  /** Removes a collection with its records and indexes; false when there was none. */
  dropCollection(collection: string, options?: DbNamespace): Promise<boolean>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** Bounds of what the db takes; past them a 400 naming the field. */
export const DB_LIMITS = {
  /** Characters in a database, collection or index name. */
  nameLength: 64,
  /** Bytes of UTF-8 in an id. */
  idBytes: 256,
  /** Bytes of a record as JSON text. */
  recordBytes: 1024 * 1024,
  /** JSON nesting depth of a record. */
  depth: 100,
  /** Names in a field path. */
  pathDepth: 8,
  /** Conditions in a query (one per operator). */
  conditions: 32,
  /** Values in an `$in`. */
  inValues: 1000,
  /** Sort fields. */
  sortFields: 4,
  /** Records per page. */
  page: 1000,
  /** Indexes per collection. */
  indexes: 16,
  /** Fields per index. */
  indexFields: 4,
} as const;

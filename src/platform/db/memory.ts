// The in-memory db: for tests and single-process programs; everything is lost when the process
// ends. Every call runs to its end without yielding, so each write is atomic and its conditions
// (ifVersion, a taken id, unique indexes) are checked against the state it changes. A query scans
// and sorts the collection in the contract's type order (query.ts), so indexes here only enforce
// uniqueness; a unique index keeps a map of its value combinations.
import { randomUUID } from 'node:crypto';
import { compareKeys } from '../store/order.ts';
import { DB_LIMITS, type CollectionInfo, type Db, type DbRecord, type IndexSpec } from './db.ts';
import { conflictWith, idTaken, invalid, uniqueTaken } from './errors.ts';
import { checkRecord } from './json.ts';
import {
  compareSorted,
  encodeCursor,
  fieldValue,
  matches,
  rankOf,
  sortValuesOf,
  type FieldPath,
} from './query.ts';
import {
  checkCount,
  checkDelete,
  checkFields,
  checkId,
  checkIndex,
  checkName,
  checkPath,
  checkPlace,
  checkQuery,
  checkUpdate,
  DEFAULT_DATABASE,
} from './validate.ts';
import { checkDeleteVersion, updatedRow } from './write.ts';

/** Options of the memory db. */
export interface MemoryDbOptions {
  /** The database of calls that name none (default `micro`). */
  database?: string;
  /** The clock (ms since the epoch). */
  now?: () => number;
}

interface Stored {
  record: DbRecord;
  /** The data as JSON text: what callers get a fresh copy of. */
  text: string;
}

interface Index {
  spec: Required<IndexSpec>;
  paths: FieldPath[];
  /** For a unique index: the records by their values' key. */
  taken?: Map<string, string>;
}

interface Collection {
  records: Map<string, Stored>;
  indexes: Map<string, Index>;
}

/** The key of a record's values in a unique index; undefined when one sorts as missing (not counted). */
function uniqueKey(record: DbRecord, paths: FieldPath[]): string | undefined {
  const values = paths.map((p) => fieldValue(record, p));
  return values.some((v) => rankOf(v) === 0) ? undefined : JSON.stringify(values);
}

const copy = (s: Stored): DbRecord => ({
  ...s.record,
  data: JSON.parse(s.text) as DbRecord['data'],
});

/** A db in this process's memory. */
export function createMemoryDb(options: MemoryDbOptions = {}): Db {
  const now = options.now ?? Date.now;
  const fallback = checkName(options.database ?? DEFAULT_DATABASE, 'database');
  const spaces = new Map<string, Map<string, Collection>>();

  const find = (database: string, collection: string): Collection | undefined =>
    spaces.get(database)?.get(collection);
  const make = (database: string, collection: string): Collection => {
    let space = spaces.get(database);
    if (!space) spaces.set(database, (space = new Map<string, Collection>()));
    let coll = space.get(collection);
    if (!coll) space.set(collection, (coll = { records: new Map(), indexes: new Map() }));
    return coll;
  };
  // Writes `next` in place of `before` (either may be absent): unique indexes first, all or none.
  const write = (name: string, coll: Collection, before: DbRecord | undefined, next?: Stored) => {
    const keys: [Index, string | undefined, string | undefined][] = [];
    for (const index of coll.indexes.values()) {
      if (!index.taken) continue;
      const old = before && uniqueKey(before, index.paths);
      const key = next && uniqueKey(next.record, index.paths);
      const holder = key === undefined ? undefined : index.taken.get(key);
      if (holder !== undefined && holder !== next!.record.id)
        throw uniqueTaken(name, index.spec.name, index.spec.fields);
      keys.push([index, old, key]);
    }
    for (const [index, old, key] of keys) {
      if (old !== undefined) index.taken!.delete(old);
      if (key !== undefined) index.taken!.set(key, next!.record.id);
    }
    if (next) coll.records.set(next.record.id, next);
    else if (before) coll.records.delete(before.id);
  };
  const stored = (id: string, text: string, version: number, createdAt: number, t: number) => ({
    record: { id, version, createdAt, updatedAt: t, data: JSON.parse(text) as DbRecord['data'] },
    text,
  });
  const info = (database: string, collection: string, coll: Collection): CollectionInfo => ({
    database,
    collection,
    count: coll.records.size,
    indexes: [...coll.indexes.values()]
      .map((i) => ({ ...i.spec, fields: [...i.spec.fields] }))
      .sort((a, b) => compareKeys(a.name, b.name)),
  });

  return {
    name: 'memory',
    address: 'memory',
    async create(collection, data, opts) {
      const o = checkFields(opts, 'the create options', ['database', 'id']);
      const at = checkPlace(collection, opts, fallback);
      const id = o.id === undefined ? randomUUID() : checkId(o.id);
      const text = checkRecord(data);
      const coll = make(at.database, at.collection);
      if (coll.records.has(id)) throw idTaken(at.collection, id);
      const t = now();
      const s = stored(id, text, 1, t, t);
      write(at.collection, coll, undefined, s);
      return copy(s);
    },
    async read(collection, id, opts) {
      checkFields(opts, 'the read options', ['database']);
      const at = checkPlace(collection, opts, fallback);
      const s = find(at.database, at.collection)?.records.get(checkId(id));
      return s && copy(s);
    },
    async update(collection, id, data, opts) {
      const o = checkUpdate(opts);
      const at = checkPlace(collection, opts, fallback);
      const key = checkId(id);
      const patch = checkRecord(data);
      const before = find(at.database, at.collection)?.records.get(key);
      const r = before?.record;
      const row = updatedRow(
        at.collection,
        key,
        r && { data: r.data, version: r.version, created: r.createdAt },
        { data, text: patch, options: o },
        now(),
      );
      const coll = make(at.database, at.collection);
      const s = stored(row.id, row.data, row.version, row.created, row.updated);
      write(at.collection, coll, before?.record, s);
      return copy(s);
    },
    async delete(collection, id, opts) {
      const o = checkDelete(opts);
      const at = checkPlace(collection, opts, fallback);
      const key = checkId(id);
      const coll = find(at.database, at.collection);
      const before = coll?.records.get(key);
      checkDeleteVersion(key, o.ifVersion, before?.record);
      if (!before) return false;
      write(at.collection, coll!, before.record);
      return true;
    },
    async query(collection, opts) {
      const q = checkQuery(opts);
      const at = checkPlace(collection, opts, fallback);
      const coll = find(at.database, at.collection);
      if (!coll) return { records: [] };
      const found: { s: Stored; keys: ReturnType<typeof sortValuesOf> }[] = [];
      for (const s of coll.records.values()) {
        if (!matches(s.record, q.conditions)) continue;
        const keys = sortValuesOf(s.record, q.sort);
        if (q.after && compareSorted(keys, q.after, q.sort) <= 0) continue;
        found.push({ s, keys });
      }
      found.sort((a, b) => compareSorted(a.keys, b.keys, q.sort));
      const records = found.slice(0, q.limit).map((f) => copy(f.s));
      return found.length > q.limit
        ? { records, next: encodeCursor(q.sort, found[q.limit - 1]!.keys) }
        : { records };
    },
    async count(collection, opts) {
      const conditions = checkCount(opts);
      const at = checkPlace(collection, opts, fallback);
      let n = 0;
      for (const s of find(at.database, at.collection)?.records.values() ?? [])
        if (matches(s.record, conditions)) n++;
      return n;
    },
    async createIndex(collection, index, opts) {
      checkFields(opts, 'the index options', ['database']);
      const at = checkPlace(collection, opts, fallback);
      const spec = checkIndex(index);
      const coll = find(at.database, at.collection);
      const had = coll?.indexes.get(spec.name);
      if (had) {
        if (JSON.stringify(had.spec) === JSON.stringify(spec)) return { ...spec };
        throw conflictWith(
          `collection ${at.collection} has another index named ${spec.name} (fields ${had.spec.fields.join(', ')}${had.spec.unique ? ', unique' : ''})`,
        );
      }
      if ((coll?.indexes.size ?? 0) >= DB_LIMITS.indexes)
        throw invalid(
          `index: collection ${at.collection} has ${DB_LIMITS.indexes} indexes, the limit`,
        );
      const paths = spec.fields.map((f) => checkPath(f, 'index.fields'));
      const made: Index = { spec, paths };
      if (spec.unique) {
        made.taken = new Map();
        for (const s of coll?.records.values() ?? []) {
          const key = uniqueKey(s.record, paths);
          if (key === undefined) continue;
          if (made.taken.has(key)) throw uniqueTaken(at.collection, spec.name, spec.fields);
          made.taken.set(key, s.record.id);
        }
      }
      make(at.database, at.collection).indexes.set(spec.name, made);
      return { ...spec, fields: [...spec.fields] };
    },
    async dropIndex(collection, name, opts) {
      checkFields(opts, 'the index options', ['database']);
      const at = checkPlace(collection, opts, fallback);
      return find(at.database, at.collection)?.indexes.delete(checkName(name, 'name')) ?? false;
    },
    async collections(database) {
      const only = database === undefined ? undefined : checkName(database, 'database');
      const out: CollectionInfo[] = [];
      for (const [db, space] of spaces)
        if (only === undefined || db === only)
          for (const [name, coll] of space) out.push(info(db, name, coll));
      out.sort(
        (a, b) => compareKeys(a.database, b.database) || compareKeys(a.collection, b.collection),
      );
      return out.slice(0, 1000);
    },
    async dropCollection(collection, opts) {
      checkFields(opts, 'the drop options', ['database']);
      const at = checkPlace(collection, opts, fallback);
      const space = spaces.get(at.database);
      const gone = space?.delete(at.collection) ?? false;
      if (space?.size === 0) spaces.delete(at.database);
      return gone;
    },
    async close() {},
  };
}

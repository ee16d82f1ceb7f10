// The in-memory store: for tests and single-process programs. Everything is lost when the process
// ends. Versions come from one counter, so a version is never reused (a key deleted and put again
// gets a new one, and a stale ifVersion cannot match it). Leases are checked on every read and
// swept on writes (at most once a second), with no timer, so an idle store costs nothing and an
// expired entry is never returned. Watchers hear each write after it applied, in order.
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
  compareKeys,
  conditionFailure,
  decodeCursor,
  encodeCursor,
  type CheckedOperation,
} from './validate.ts';
import { spaceOf, StoreWatchers } from './watchers.ts';

/** Options of the memory store. */
export interface MemoryStoreOptions extends StoreOptions {
  /** The clock (ms since the epoch), for tests of leases. */
  now?: () => number;
}

interface Row {
  json: string;
  version: number;
  expiresAt?: number;
}

interface Space {
  ns: Required<Namespace>;
  rows: Map<string, Row>;
  /** The keys in order, rebuilt on the first listing after a key came or went. */
  sorted?: string[];
}

/** A store in this process's memory. */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const now = options.now ?? Date.now;
  const database = options.database;
  const spaces = new Map<string, Space>();
  const watchers = new StoreWatchers();
  let revision = 0;
  let nextSweep = 0;

  const spaceFor = (ns: Required<Namespace>, create: boolean): Space | undefined => {
    const id = spaceOf(ns);
    let space = spaces.get(id);
    if (!space && create) spaces.set(id, (space = { ns, rows: new Map() }));
    return space;
  };
  const remove = (space: Space, key: string): void => {
    space.rows.delete(key);
    space.sorted = undefined;
    watchers.emit(space.ns, { action: 'delete', key });
  };
  // The row if it is there and alive; an expired one goes (and its watchers hear a delete).
  const live = (space: Space | undefined, key: string): Row | undefined => {
    const row = space?.rows.get(key);
    if (row?.expiresAt !== undefined && row.expiresAt <= now()) {
      remove(space!, key);
      return undefined;
    }
    return row;
  };
  const sweep = (): void => {
    const t = now();
    if (t < nextSweep) return;
    nextSweep = t + 1000;
    for (const [id, space] of [...spaces]) {
      for (const key of [...space.rows.keys()]) live(space, key);
      if (space.rows.size === 0) spaces.delete(id);
    }
  };
  const entry = (key: string, row: Row, withValue = true): Entry => {
    const e = { key } as Entry;
    if (withValue) e.value = JSON.parse(row.json) as unknown;
    e.version = String(row.version);
    if (row.expiresAt !== undefined) e.expiresAt = row.expiresAt;
    return e;
  };
  const apply = (space: Space, op: CheckedOperation): Entry | undefined => {
    if (op.op === 'delete') {
      if (!live(space, op.key)) return undefined;
      remove(space, op.key);
      return undefined;
    }
    const row: Row = { json: op.json, version: ++revision };
    if (op.ttl !== undefined) row.expiresAt = now() + op.ttl;
    if (!space.rows.has(op.key)) space.sorted = undefined;
    space.rows.set(op.key, row);
    watchers.emit(space.ns, {
      action: 'put',
      key: op.key,
      json: op.json,
      version: String(row.version),
    });
    return entry(op.key, row);
  };

  return {
    name: 'memory',
    address: 'memory',
    async get(key, opts) {
      const k = checkKey(key);
      const row = live(spaceFor(checkNamespace(opts, database), false), k);
      return row && entry(k, row);
    },
    async put(key, value, opts) {
      const op = { op: 'put' as const, ...checkPut(key, value, opts) };
      const ns = checkNamespace(opts, database);
      sweep();
      const space = spaceFor(ns, true)!;
      const failure = conditionFailure(op, versionOf(live(space, op.key)));
      if (failure) throw failure;
      return apply(space, op)!;
    },
    async delete(key, opts) {
      const op = { op: 'delete' as const, ...checkDelete(key, opts) };
      const space = spaceFor(checkNamespace(opts, database), false);
      const row = live(space, op.key);
      const failure = conditionFailure(op, versionOf(row));
      if (failure) throw failure;
      if (!row) return false;
      remove(space!, op.key);
      return true;
    },
    async list(opts) {
      const o = checkList(opts);
      const space = spaceFor(checkNamespace(opts, database), false);
      const after = o.cursor === undefined ? undefined : decodeCursor(o.cursor);
      if (!space) return { entries: [] };
      const sorted = (space.sorted ??= [...space.rows.keys()].sort(compareKeys));
      const start = after !== undefined && compareKeys(after, o.prefix) >= 0 ? after : o.prefix;
      let i = firstAtOrAfter(sorted, start);
      if (after !== undefined && sorted[i] === after) i++;
      const entries: Entry[] = [];
      for (; i < sorted.length; i++) {
        const key = sorted[i]!;
        if (!key.startsWith(o.prefix)) break;
        const row = live(space, key);
        if (!row) continue;
        if (entries.length === o.limit) return { entries, next: encodeCursor(entries.at(-1)!.key) };
        entries.push(entry(key, row, !o.keysOnly));
      }
      return { entries };
    },
    async getMany(keys, opts) {
      const ks = checkKeys(keys);
      const space = spaceFor(checkNamespace(opts, database), false);
      return ks.map((k) => {
        const row = live(space, k);
        return row && entry(k, row);
      });
    },
    async transact(operations, opts) {
      const ops = checkOperations(operations);
      const ns = checkNamespace(opts, database);
      sweep();
      const space = spaceFor(ns, true)!;
      for (const op of ops) {
        const failure = conditionFailure(op, versionOf(live(space, op.key)));
        if (failure) throw failure;
      }
      return ops.map((op) => apply(space, op));
    },
    watch(opts) {
      return watchers.watch(checkNamespace(opts, database), checkWatch(opts));
    },
    async namespaces() {
      const found: Required<Namespace>[] = [];
      for (const space of spaces.values())
        for (const key of [...space.rows.keys()])
          if (live(space, key)) {
            found.push({ ...space.ns });
            break;
          }
      found.sort((a, b) => compareKeys(a.database, b.database) || compareKeys(a.table, b.table));
      return found.slice(0, STORE_LIMITS.page);
    },
    async close() {
      watchers.close();
    },
  };
}

const versionOf = (row: Row | undefined): string | undefined =>
  row === undefined ? undefined : String(row.version);

/** The index of the first key not before `key` (binary search). */
function firstAtOrAfter(sorted: string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(sorted[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

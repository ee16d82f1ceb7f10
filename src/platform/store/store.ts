// The store (kv): JSON values under string keys, each key in a namespace (a database and a table,
// as go-micro's store names them), with versions for compare-and-swap, leases (TTL), paged prefix
// listing, atomic batches and watches. One interface for every engine: memory (tests, one process),
// micro (the control plane's SQLite, the default), etcd, Redis and NATS JetStream KV.
//
// Guarantees every implementation keeps (the contract suite, test/conformance/store.case.ts, checks
// them): an acknowledged put is durable as its engine is (SQLite: on disk, WAL); a put or delete
// with `ifVersion` applies only if the key's version is still that one, else a 409 and nothing
// changes; `transact` applies all of its operations or none; a version is an opaque string that
// changes on every write of the key; an expired entry is never returned.
//
// Limits (STORE_LIMITS): keys are 1 to 1,024 bytes of UTF-8 with no NUL; database and table names
// are 1 to 128 of [A-Za-z0-9._-]; a value is JSON (no undefined, function, NaN or class instance),
// at most 1 MiB as JSON text and 100 levels deep; a batch or page at most 1,000 entries, a
// transaction's keys each once; a lease at least 1 s and at most 1 year, in whole ms. Anything past
// them is a 400 naming the field (src/platform/store/validate.ts, the one check all stores use).

/** One stored entry. */
export interface Entry {
  /** The key, as given. */
  key: string;
  /** The JSON value stored (absent in a `keysOnly` listing). */
  value: unknown;
  /** Changes on every write of the key: give it as `ifVersion` to write only if nobody else did. */
  version: string;
  /** When the entry expires (ms since the epoch), when it was put with a ttl. */
  expiresAt?: number;
}

/** Where a key lives: keys of different namespaces never meet. */
export interface Namespace {
  /** Default: the service's own name (service.store), or `micro` (a bare client). */
  database?: string;
  /** Default: `default`. */
  table?: string;
}

/** Options of a put. */
export interface PutOptions extends Namespace {
  /** Lease in ms: the entry disappears after it. */
  ttl?: number;
  /** Write only if the key's current version is this one (compare-and-swap); else a 409. */
  ifVersion?: string;
  /** Write only if the key does not exist (first write wins); else a 409. */
  ifAbsent?: boolean;
}

/** Options of a delete. */
export interface DeleteOptions extends Namespace {
  /** Delete only if the key's current version is this one; else a 409. */
  ifVersion?: string;
}

/** Options of a listing. */
export interface ListOptions extends Namespace {
  /** Only keys starting with this. */
  prefix?: string;
  /** Entries per page (1 to 1,000; default 100). */
  limit?: number;
  /** A previous page's `next`. */
  cursor?: string;
  /** Only the keys and versions, not the values. */
  keysOnly?: boolean;
}

/** One page of a listing, in key order (by UTF-8 bytes). */
export interface Page {
  /** The entries of this page, in key order. */
  entries: Entry[];
  /** Give it as `cursor` for the next page; absent on the last. */
  next?: string;
}

/** One operation of a transaction. */
export type Operation =
  | ({
      /** Write a value. */
      op: 'put';
      /** The key written. */
      key: string;
      /** The JSON value. */
      value: unknown;
    } & Omit<PutOptions, keyof Namespace>)
  | ({
      /** Remove a key. */
      op: 'delete';
      /** The key removed. */
      key: string;
    } & Omit<DeleteOptions, keyof Namespace>);

/** What a watcher reports. */
export interface StoreEvent {
  /** What happened to the key (an expiry is a delete, where the store notices it). */
  action: 'put' | 'delete';
  /** The key that changed. */
  key: string;
  /** The new value (put). */
  value?: unknown;
  /** The new version (put). */
  version?: string;
}

/** Options of a watch: one key, or every key under a prefix (everything when neither). */
export interface WatchOptions extends Namespace {
  /** Only this key. */
  key?: string;
  /** Only keys starting with this. */
  prefix?: string;
}

/** A stream of changes; iterate it, and stop it when done. */
export interface StoreWatcher extends AsyncIterable<StoreEvent> {
  /** Ends the watch: iteration ends after the events already queued. */
  stop(): void;
}

/** Key-value storage. */
export interface Store {
  /** The implementation's name: memory, micro, etcd, redis, nats. */
  readonly name: string;
  /** Where its server is, for messages. */
  readonly address: string;
  /** The entry, or undefined when there is none (or it expired). */
  get(key: string, options?: Namespace): Promise<Entry | undefined>;
  /** Writes the value and returns the entry as stored, with its new version. */
  put(key: string, value: unknown, options?: PutOptions): Promise<Entry>;
  /** Removes the key; false when there was none. */
  delete(key: string, options?: DeleteOptions): Promise<boolean>;
  /** One page of entries in key order. */
  list(options?: ListOptions): Promise<Page>;
  /** The entries of these keys, in the same order; undefined where there is none. */
  getMany(keys: string[], options?: Namespace): Promise<(Entry | undefined)[]>;
  /** Applies every operation or none (a failed condition is a 409 naming the key). */
  transact(operations: Operation[], options?: Namespace): Promise<(Entry | undefined)[]>;
  /** Reports changes from now on. */
  watch(options?: WatchOptions): StoreWatcher;
  /** The namespaces that hold keys, in order, at most 1,000 (for browsing: the CLI, dashboard, explorer). */
  namespaces(): Promise<Required<Namespace>[]>;
  /** Releases connections and timers. */
  close(): Promise<void>;
}

/** Bounds of what a store takes; past them a 400 naming the field. */
export const STORE_LIMITS = {
  /** Bytes of UTF-8 in a key (or prefix). */
  keyBytes: 1024,
  /** Characters in a database or table name. */
  nameLength: 128,
  /** Bytes of a value as JSON text. */
  valueBytes: 1024 * 1024,
  /** Levels of nesting in a value. */
  depth: 100,
  /** Keys of a getMany, operations of a transact. */
  batch: 1000,
  /** Entries of a page, at most. */
  page: 1000,
  /** Entries of a page when no limit is given. */
  defaultPage: 100,
  /** The shortest lease, ms. */
  minTtl: 1000,
  /** The longest lease, ms. */
  maxTtl: 365 * 24 * 3600 * 1000,
} as const;

/** Options every store factory takes. */
export interface StoreOptions {
  /** The engine's address (host:port), where it has one. */
  address?: string;
  /** Default database for calls that name none. */
  database?: string;
  /** Milliseconds to wait for the engine. */
  timeout?: number;
}

/** Builds a store from options. */
export type StoreFactory = (options?: StoreOptions) => Store;

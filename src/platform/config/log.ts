// What a config engine stores: per namespace, a log of versions (each one change record) with the
// current tree, and the schema. The checks, the schema validation and the retries live once, in
// versioned.ts, over this interface; memory.ts, sqlite.ts and etcd.ts only store.
//
// Engines that keep change records (SQLite, etcd) keep a snapshot of the whole tree at version 1,
// every SNAPSHOT_EVERY versions and at every change of the whole tree (a rollback), so the tree at
// any version is one snapshot plus at most SNAPSHOT_EVERY - 1 changes replayed. They drop old
// versions a block of SNAPSHOT_EVERY at a time, so the oldest kept is always a snapshot.
import { CONFIG_LIMITS, type ConfigVersion } from './config.ts';
import { deleteAt, parsePath, setAt, type Tree } from './tree.ts';

/** One change as a version records it: the value set at a path, or no value (deleted). */
export interface Change {
  path: string;
  /** Absent: the path was deleted. A rollback sets the whole tree (path `''`). */
  value?: unknown;
}

/** One version: its record (who, when, what) and its change. */
export interface Entry {
  record: ConfigVersion;
  change: Change;
}

/** A namespace's latest version and tree (version 0 and `{}` when never written). */
export interface Head {
  version: number;
  tree: Tree;
}

/** Storage of namespaces' versions, schemas and changes, as each engine keeps them. */
export interface ConfigLog {
  readonly name: string;
  readonly address: string;
  /** The namespace's latest version and tree. */
  head(namespace: string): Promise<Head>;
  /** Stores version `expected + 1` if the namespace is still at `expected`; false when it moved on. */
  append(namespace: string, expected: number, entry: Entry, tree: Tree): Promise<boolean>;
  /** The tree at a version; undefined when the version is not kept. */
  at(namespace: string, version: number): Promise<Tree | undefined>;
  /** Version records newest first, below `before` when given. */
  history(namespace: string, limit: number, before?: number): Promise<ConfigVersion[]>;
  schema(namespace: string): Promise<object | undefined>;
  setSchema(namespace: string, schema: object | undefined): Promise<void>;
  /** Namespaces with at least one version. */
  namespaces(): Promise<string[]>;
  /** Calls back with each version stored from now on; resolves, once in place, with its stop function. */
  follow(namespace: string, onEntry: (entry: Entry) => void): Promise<() => void>;
  close(): Promise<void>;
}

/** Versions between snapshots of the whole tree. */
export const SNAPSHOT_EVERY = 50;

/** Whether a version's whole tree is kept besides its change. */
export const isSnapshot = (entry: Entry): boolean =>
  entry.record.version === 1 ||
  entry.record.version % SNAPSHOT_EVERY === 0 ||
  entry.change.path === '';

/** The oldest version an engine keeps once the namespace is at `head`: a snapshot's, at most history + SNAPSHOT_EVERY back. */
export const keptFrom = (head: number): number => {
  const first = head - CONFIG_LIMITS.history + 1;
  return first <= 1 ? 1 : Math.floor(first / SNAPSHOT_EVERY) * SNAPSHOT_EVERY || 1;
};

/** A tree with one change applied. */
export function apply(tree: Tree, change: Change): Tree {
  const segments = parsePath(change.path);
  return change.value === undefined
    ? (deleteAt(tree, segments) ?? tree)
    : setAt(tree, segments, change.value);
}

/** A snapshot with the changes after it applied in order. */
export const replay = (snapshot: Tree, changes: readonly Change[]): Tree =>
  changes.reduce(apply, snapshot);

/** Callbacks following namespaces' new versions in this process (memory and SQLite engines). */
export class Followers {
  readonly #byNamespace = new Map<string, Set<(entry: Entry) => void>>();

  /** Adds a callback for a namespace; returns its removal. */
  add(namespace: string, fn: (entry: Entry) => void): () => void {
    let set = this.#byNamespace.get(namespace);
    if (!set) this.#byNamespace.set(namespace, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.#byNamespace.get(namespace) === set)
        this.#byNamespace.delete(namespace);
    };
  }

  /** Tells a namespace's followers of a new version. */
  emit(namespace: string, entry: Entry): void {
    for (const fn of this.#byNamespace.get(namespace) ?? []) fn(entry);
  }

  /** Forgets every follower. */
  clear(): void {
    this.#byNamespace.clear();
  }
}

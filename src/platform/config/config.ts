// Config: a namespaced tree of JSON values. Every change is a new version, recorded with who made
// it and when, so a namespace has a history to read, diff and roll back to. A change can be checked
// against a JSON Schema set for the namespace: a change that fails it is a 400 naming the path and
// the rule, and nothing is stored. Watches report each new version of a path.
//
// Paths are dot-separated (`db.pool.max`); the empty path is the whole tree. Implementations:
// memory (tests, one process), micro (the control plane's SQLite, the default) and etcd.
//
// A service reads its config through `service.config` (src/platform/config/sources.ts), which
// merges, in order: defaults given in code, a JSON file, MICRO_CONFIG_* variables, and the
// namespace's tree from the Config implementation; it updates in place when the tree changes.

/** One version of a namespace's tree. */
export interface ConfigVersion {
  /** 1, 2, 3... per namespace. */
  version: number;
  /** The path changed (`''`: the whole tree). */
  path: string;
  /** What the change was: set, delete, rollback (to `from`). */
  action: 'set' | 'delete' | 'rollback';
  /** For a rollback, the version it went back to. */
  from?: number;
  /** Who made it: the calling service (ctx.from), or the user of the CLI. */
  author: string;
  /** When (ms since the epoch). */
  at: number;
}

/** A namespace's value at a path, with the version it was read at. */
export interface ConfigValue {
  /** The JSON value at the path; undefined when there is none. */
  value: unknown;
  /** The namespace's version when read (0: never written). */
  version: number;
}

/** Options naming the namespace (default: the service's name, or `micro`). */
export interface ConfigScope {
  /** 1 to 128 of [A-Za-z0-9._-], as service names are. */
  namespace?: string;
}

/** Options of a change. */
export interface ChangeOptions extends ConfigScope {
  /** Who is making the change, for the history. */
  author?: string;
  /** Apply only if the namespace is still at this version (else a 409). */
  ifVersion?: number;
}

/** One difference between two versions of a tree. */
export interface ConfigDiff {
  /** The dot path that differs. */
  path: string;
  /** Absent when the path was added. */
  before?: unknown;
  /** Absent when the path was removed. */
  after?: unknown;
}

/**
 * What a watcher reports of a new version: the value now at `path`, the deeper of the watched path
 * and the path the version changed (undefined: deleted; `''` after a rollback watched at `''`).
 */
export interface ConfigEvent {
  /** The dot path whose value is reported. */
  path: string;
  /** Its value after the version (undefined: deleted). */
  value: unknown;
  /** The version that changed it. */
  version: number;
  /** Who made that version. */
  author: string;
}

/** A stream of changes under a path; iterate it, and stop it when done. */
export interface ConfigWatcher extends AsyncIterable<ConfigEvent> {
  /** Resolves once the watch is in place: every version after it is reported. */
  readonly ready: Promise<void>;
  /** Ends the watch; iteration ends after the events already queued. */
  stop(): void;
}

/** Dynamic configuration: versioned, namespaced, validated. */
export interface Config {
  /** The implementation's name in the table (`micro`, `memory`, `etcd`, `sqlite`). */
  readonly name: string;
  /** Where its engine is (`''` in memory). */
  readonly address: string;
  /** The value at a path (`''` for the whole tree). */
  get(path: string, options?: ConfigScope): Promise<ConfigValue>;
  /** Sets the value at a path, creating parents; returns the new version. */
  set(path: string, value: unknown, options?: ChangeOptions): Promise<ConfigVersion>;
  /** Removes the value at a path; returns the new version. */
  delete(path: string, options?: ChangeOptions): Promise<ConfigVersion>;
  /** The versions of a namespace, newest first, at most `limit` (default 100). */
  history(options?: ConfigScope & { limit?: number; before?: number }): Promise<ConfigVersion[]>;
  /** The tree at a version. */
  at(version: number, options?: ConfigScope): Promise<unknown>;
  /** What changed between two versions (`to` default: the latest). */
  diff(from: number, to?: number, options?: ConfigScope): Promise<ConfigDiff[]>;
  /** Makes the tree what it was at a version, as a new version. */
  rollback(version: number, options?: ChangeOptions): Promise<ConfigVersion>;
  /** Sets the JSON Schema every later change of the namespace must pass (undefined: none). */
  setSchema(schema: object | undefined, options?: ChangeOptions): Promise<void>;
  /** The namespace's JSON Schema, if any. */
  schema(options?: ConfigScope): Promise<object | undefined>;
  /** Every namespace that has a tree. */
  namespaces(): Promise<string[]>;
  /** Reports each new version touching the path (or under it) from now on. */
  watch(path: string, options?: ConfigScope): ConfigWatcher;
  /** Stops its watchers and closes its connections. */
  close(): Promise<void>;
}

/** Bounds of what config takes; past them a 400 naming the field. */
export const CONFIG_LIMITS = {
  /** A path: at most 64 segments of 1 to 128 of [A-Za-z0-9_-]. */
  pathSegments: 64,
  /** The longest segment of a path. */
  segmentLength: 128,
  /** The whole tree of a namespace, as JSON. */
  treeBytes: 1024 * 1024,
  /** Versions kept per namespace; older ones are dropped. */
  history: 1000,
  /** The longest namespace name. */
  namespaceLength: 128,
} as const;

/** Options every config factory takes. */
export interface ConfigOptions {
  /** Where the engine is (`host:port`); each implementation has its default. */
  address?: string;
  /** The namespace of calls that name none (default `micro`, or the service's name). */
  namespace?: string;
  /** Milliseconds to wait for the engine's answers. */
  timeout?: number;
  /** Who changes are recorded as made by when nothing else says. */
  author?: string;
}

/** Builds a config from options. */
export type ConfigFactory = (options?: ConfigOptions) => Config;

// A service's configuration: its sources merged in order, later ones winning — defaults in code,
// a JSON file (options.file or MICRO_CONFIG_FILE), MICRO_CONFIG_* variables, then the namespace
// (the service's name) of a Config (the control plane by default). Objects merge member by member;
// any other value (arrays too) replaces. `value` is one object updated in place as the Config's
// tree changes (a watch), and onChange callbacks hear which paths changed. When the Config cannot
// be reached the last values known stay in use; the watch reconnects and catches up by itself.
import { readFileSync } from 'node:fs';
import type { Config, ConfigEvent, ConfigWatcher } from './config.ts';
import { deleteAt, diffTrees, getAt, isTree, parsePath, setAt, type Tree } from './tree.ts';

/** What a service says of its config: defaults in code, a file, and where the rest comes from. */
export interface ServiceConfigOptions {
  /** Values used when no other source has them. */
  defaults?: Record<string, unknown>;
  /** A JSON file merged over the defaults (default MICRO_CONFIG_FILE). */
  file?: string;
  /** Where MICRO_CONFIG_* values and MICRO_CONFIG_FILE are read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Called after `value` changed, with the dot paths that changed (sorted). */
export type ConfigChange = (paths: string[], config: ServiceConfig) => void;

/** A service's merged configuration, updated in place. */
export interface ServiceConfig {
  /** The merged tree: one object, updated in place when a source changes. */
  readonly value: Record<string, unknown>;
  /** The Config namespace's version last applied (0: none yet). */
  readonly version: number;
  /** Resolves after the first load from the Config, or its failure (the other sources are in from the start). */
  readonly ready: Promise<void>;
  /** The value at a dot path of the merged tree, else `fallback`. */
  get<T = unknown>(path: string, fallback?: T): T;
  /** Calls `fn` after each change of `value`; returns its removal. */
  onChange(fn: ConfigChange): () => void;
  /** Stops watching (and closes the Config when it made it). */
  close(): Promise<void>;
}

/** Options naming the Config source of a ServiceConfig. */
export interface SourceOptions extends ServiceConfigOptions {
  /** The Config whose namespace is merged last. */
  source: Config;
  /** The namespace read from it (the service's name). */
  namespace: string;
  /** Close `source` with the ServiceConfig. */
  owned?: boolean;
}

const RESERVED = new Set(['ADDRESS', 'FILE']);
const RETRY_MAX = 5000;

/** The values of MICRO_CONFIG_<PATH> variables: `__` separates segments, names lowercased, JSON when it parses. */
export function environmentSource(env: NodeJS.ProcessEnv): Tree {
  let tree: Tree = {};
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith('MICRO_CONFIG_') || text === undefined) continue;
    const rest = name.slice('MICRO_CONFIG_'.length);
    if (RESERVED.has(rest)) continue;
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // not JSON: the text itself
    }
    try {
      tree = setAt(tree, parsePath(rest.toLowerCase().split('__').join('.')), value);
    } catch {
      // a name that is no config path (MICRO_CONFIG_A__): not a value
    }
  }
  return tree;
}

/** The JSON object in a file; a missing or broken file is an error naming it. */
export function fileSource(path: string): Tree {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!isTree(value)) throw new Error(`config file ${path} must hold a JSON object`);
  return value;
}

/** Trees merged in order: objects member by member, anything else replaced by the later. */
export function merge(...trees: Tree[]): Tree {
  const into = (a: unknown, b: unknown): unknown =>
    isTree(a) && isTree(b)
      ? Object.fromEntries(
          [...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [
            k,
            Object.hasOwn(b, k) ? into(Object.hasOwn(a, k) ? a[k] : undefined, b[k]) : a[k],
          ]),
        )
      : structuredClone(b);
  return trees.reduce<Tree>((acc, t) => into(acc, t) as Tree, {});
}

/** Makes `target` equal `next`, keeping every nested object that stays an object the same object. */
function patch(target: Tree, next: Tree): void {
  for (const k of Object.keys(target)) if (!Object.hasOwn(next, k)) delete target[k];
  for (const [k, v] of Object.entries(next)) {
    const old = target[k];
    if (isTree(old) && isTree(v)) patch(old, v);
    else
      Object.defineProperty(target, k, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
}

/** The source's watch of the whole tree; one that cannot start is a watch that failed. */
function watchOf(source: Config, namespace: string): ConfigWatcher {
  try {
    return source.watch('', { namespace });
  } catch (err) {
    return {
      ready: Promise.reject(err instanceof Error ? err : new Error(String(err))),
      stop() {},
      async *[Symbol.asyncIterator]() {},
    };
  }
}

/** A ServiceConfig over its sources. */
export function createServiceConfig(options: SourceOptions): ServiceConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? (env.MICRO_CONFIG_FILE || undefined);
  const fixed = merge(options.defaults ?? {}, file ? fileSource(file) : {}, environmentSource(env));
  const { source, namespace } = options;
  let remote: Tree = {};
  let version = 0;
  let merged = merge(fixed, remote);
  const value: Tree = structuredClone(merged);
  const listeners = new Set<ConfigChange>();
  let watcher: ConfigWatcher | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const remerge = (): void => {
    const next = merge(fixed, remote);
    const paths = diffTrees(merged, next).map((d) => d.path);
    merged = next;
    if (paths.length === 0) return;
    patch(value, structuredClone(next));
    for (const fn of [...listeners]) {
      try {
        fn(paths, self);
      } catch (err) {
        // One failing callback neither stops the others nor the watch.
        process.emitWarning(`a config change callback failed: ${(err as Error).message}`);
      }
    }
  };
  /** Reads the whole tree; false when the source did not answer. */
  const load = async (): Promise<boolean> => {
    try {
      const now = await source.get('', { namespace });
      if (now.version > version && isTree(now.value)) {
        remote = now.value;
        version = now.version;
        remerge();
      }
      return true;
    } catch {
      return false;
    }
  };
  const applyEvent = (e: ConfigEvent): void => {
    if (e.version <= version) return;
    try {
      const segments = parsePath(e.path);
      remote =
        e.value === undefined
          ? (deleteAt(remote, segments) ?? remote)
          : setAt(remote, segments, e.value);
    } catch {
      void load(); // our copy disagrees with the tree: read it whole
      return;
    }
    version = e.version;
    remerge();
  };
  let started!: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  // Watch, then read the tree; after any failure keep the last values and start over, backing off.
  void (async () => {
    for (let wait = 100; !closed; wait = Math.min(wait * 2, RETRY_MAX)) {
      const w = (watcher = watchOf(source, namespace));
      const watching = await w.ready.then(
        () => true,
        () => false,
      );
      const loaded = watching && (await load());
      started();
      if (loaded) {
        wait = 50;
        for await (const e of w) applyEvent(e);
      }
      w.stop();
      if (closed) return;
      await new Promise((r) => {
        retry = setTimeout(r, wait);
        retry.unref();
      });
    }
  })();

  const self: ServiceConfig = {
    value,
    get version() {
      return version;
    },
    ready,
    get<T>(path: string, fallback?: T): T {
      const found = getAt(value, parsePath(path));
      return (found === undefined ? fallback : found) as T;
    },
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(retry);
      started();
      watcher?.stop();
      listeners.clear();
      if (options.owned) await source.close();
    },
  };
  return self;
}

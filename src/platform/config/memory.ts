// Config in this process only (tests, single-process programs): every version keeps its whole
// tree, sharing unchanged branches with the one before, so `at` is a lookup. Nothing survives the
// process; the last CONFIG_LIMITS.history versions of each namespace are kept.
import { CONFIG_LIMITS, type Config, type ConfigOptions, type ConfigVersion } from './config.ts';
import { Followers, type ConfigLog, type Entry } from './log.ts';
import type { Tree } from './tree.ts';
import { createVersionedConfig } from './versioned.ts';

/** Options of the memory config. */
export type MemoryConfigOptions = ConfigOptions;

interface Namespace {
  versions: { record: ConfigVersion; tree: Tree }[];
  schema?: object;
}

/** A config held in this process's memory. */
export function createMemoryConfig(options: MemoryConfigOptions = {}): Config {
  const spaces = new Map<string, Namespace>();
  const followers = new Followers();
  const space = (name: string): Namespace => {
    let s = spaces.get(name);
    if (!s) spaces.set(name, (s = { versions: [] }));
    return s;
  };
  const log: ConfigLog = {
    name: 'memory',
    address: '',
    async head(namespace) {
      const last = spaces.get(namespace)?.versions.at(-1);
      return { version: last?.record.version ?? 0, tree: last?.tree ?? {} };
    },
    async append(namespace, expected, entry: Entry, tree) {
      const s = space(namespace);
      if ((s.versions.at(-1)?.record.version ?? 0) !== expected) return false;
      s.versions.push({ record: entry.record, tree });
      if (s.versions.length > CONFIG_LIMITS.history) s.versions.shift();
      followers.emit(namespace, entry);
      return true;
    },
    async at(namespace, version) {
      const versions = spaces.get(namespace)?.versions ?? [];
      const first = versions[0]?.record.version ?? 1;
      return versions[version - first]?.tree;
    },
    async history(namespace, limit, before) {
      const versions = spaces.get(namespace)?.versions ?? [];
      const below = versions.filter((v) => before === undefined || v.record.version < before);
      return below
        .slice(-limit)
        .reverse()
        .map((v) => ({ ...v.record }));
    },
    async schema(namespace) {
      return spaces.get(namespace)?.schema;
    },
    async setSchema(namespace, schema) {
      if (schema === undefined) {
        const s = spaces.get(namespace);
        if (s) delete s.schema;
      } else space(namespace).schema = structuredClone(schema);
    },
    async namespaces() {
      return [...spaces]
        .filter(([, s]) => s.versions.length > 0)
        .map(([n]) => n)
        .sort();
    },
    async follow(namespace, onEntry) {
      return followers.add(namespace, onEntry);
    },
    async close() {
      followers.clear();
    },
  };
  return createVersionedConfig(log, options);
}

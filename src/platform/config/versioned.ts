// The Config interface over any ConfigLog (memory, SQLite, etcd): checks every argument (a 400
// naming the field), applies a change to the latest tree, checks the result's size and the
// namespace's schema, and appends it as the next version only if no other change came in between
// (compare-and-append); without ifVersion it retries on the newer tree, so concurrent changes are
// all kept, each as its own version. A failed check stores nothing.
//
// Only the last CONFIG_LIMITS.history versions of a namespace are shown (history, at, diff,
// rollback); an older one is a 404.
import { Channel } from '../../registry/channel.ts';
import { badRequest, conflict, notFound } from '../../runtime/errors.ts';
import {
  CONFIG_LIMITS,
  type ChangeOptions,
  type Config,
  type ConfigEvent,
  type ConfigScope,
  type ConfigVersion,
  type ConfigWatcher,
} from './config.ts';
import type { Change, ConfigLog, Entry } from './log.ts';
import { checkSchema, validateTree } from './schema.ts';
import {
  checkJson,
  checkNamespace,
  checkSize,
  CONFIG_ID,
  deleteAt,
  diffTrees,
  getAt,
  overlaps,
  parsePath,
  setAt,
  type Tree,
} from './tree.ts';

/** Options of a Config over a log. */
export interface VersionedOptions {
  /** The namespace of calls that name none (default `micro`). */
  namespace?: string;
  /** Who changes are recorded as made by when a call names no author (default `anonymous`). */
  author?: string;
}

/** How often a change is tried again on a newer tree before giving up with a 409. */
const ATTEMPTS = 32;
/** Events a watcher may fall behind by before it is ended. */
const BACKLOG = 10_000;

/** A checked version number (an integer >= `min`), else a 400 naming the field. */
export function checkVersion(v: unknown, field: string, min = 1): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
    throw badRequest(CONFIG_ID, `${field} must be an integer >= ${min}, a version number`);
  return v;
}

/** What a watcher of `watched` reports of a version: the deeper of the two paths and its value now. */
export function eventFor(watched: readonly string[], entry: Entry): ConfigEvent | undefined {
  const changed = entry.change.path === '' ? [] : entry.change.path.split('.');
  if (!overlaps(watched, changed)) return undefined;
  const { version, author } = entry.record;
  if (watched.length <= changed.length)
    return { path: entry.change.path, value: structuredClone(entry.change.value), version, author };
  return {
    path: watched.join('.'),
    value: structuredClone(getAt(entry.change.value, watched.slice(changed.length))),
    version,
    author,
  };
}

/** A Config storing in `log`. */
export function createVersionedConfig(log: ConfigLog, options: VersionedOptions = {}): Config {
  const fallback = checkNamespace(options.namespace ?? 'micro');
  const ns = (scope: ConfigScope | undefined): string =>
    scope?.namespace === undefined ? fallback : checkNamespace(scope.namespace);
  const watchers = new Set<ConfigWatcher>();
  const defaultAuthor = options.author ?? 'anonymous';

  /** The tree at a version still shown, or a 404. */
  const treeAt = async (namespace: string, version: number, field: string): Promise<Tree> => {
    checkVersion(version, field, 0);
    if (version === 0) return {};
    const head = (await log.head(namespace)).version;
    if (version > head)
      throw notFound(
        CONFIG_ID,
        `${field}: namespace ${namespace} has no version ${version} (latest: ${head})`,
      );
    const tree =
      version > head - CONFIG_LIMITS.history ? await log.at(namespace, version) : undefined;
    if (tree === undefined)
      throw notFound(
        CONFIG_ID,
        `${field}: version ${version} of namespace ${namespace} is no longer kept (the last ${CONFIG_LIMITS.history} are)`,
      );
    return tree;
  };

  /** Makes the change `make` computes from the latest tree, as the next version. */
  const change = async (
    options: ChangeOptions | undefined,
    action: ConfigVersion['action'],
    make: (tree: Tree, namespace: string) => Promise<{ tree: Tree; change: Change; from?: number }>,
  ): Promise<ConfigVersion> => {
    const namespace = ns(options);
    const expected =
      options?.ifVersion === undefined
        ? undefined
        : checkVersion(options.ifVersion, 'ifVersion', 0);
    const author = options?.author ?? defaultAuthor;
    if (typeof author !== 'string' || author === '' || author.length > 256)
      throw badRequest(CONFIG_ID, 'author must be a string of 1 to 256 characters');
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const head = await log.head(namespace);
      if (expected !== undefined && head.version !== expected)
        throw conflict(
          CONFIG_ID,
          `ifVersion ${expected} is stale: namespace ${namespace} is at version ${head.version}; nothing was stored`,
        );
      const next = await make(head.tree, namespace);
      checkSize(next.tree, namespace);
      await validateTree(await log.schema(namespace), next.tree, namespace);
      const record: ConfigVersion = {
        version: head.version + 1,
        path: next.change.path,
        action,
        ...(next.from === undefined ? {} : { from: next.from }),
        author,
        at: Date.now(),
      };
      if (await log.append(namespace, head.version, { record, change: next.change }, next.tree))
        return record;
      if (expected !== undefined)
        throw conflict(
          CONFIG_ID,
          `ifVersion ${expected} is stale: namespace ${namespace} moved on; nothing was stored`,
        );
    }
    throw conflict(
      CONFIG_ID,
      `namespace ${namespace} changes too fast to apply this change; try again`,
    );
  };
  return {
    name: log.name,
    address: log.address,
    async get(path, scope) {
      const segments = parsePath(path);
      const head = await log.head(ns(scope));
      return { value: structuredClone(getAt(head.tree, segments)), version: head.version };
    },
    async set(path, value, opts) {
      const segments = parsePath(path);
      checkJson(value);
      const copy = structuredClone(value);
      return change(opts, 'set', async (tree) => ({
        tree: setAt(tree, segments, copy),
        change: { path, value: copy },
      }));
    },
    async delete(path, opts) {
      const segments = parsePath(path);
      return change(opts, 'delete', async (tree, namespace) => {
        const next = deleteAt(tree, segments);
        if (next === undefined)
          throw notFound(
            CONFIG_ID,
            `path ${path} has no value in namespace ${namespace}; nothing was stored`,
          );
        return { tree: next, change: { path } };
      });
    },
    async history(scope = {}) {
      const namespace = ns(scope);
      const limit = scope.limit === undefined ? 100 : checkVersion(scope.limit, 'limit');
      const before = scope.before === undefined ? undefined : checkVersion(scope.before, 'before');
      const head = (await log.head(namespace)).version;
      const floor = head - CONFIG_LIMITS.history;
      const rows = await log.history(namespace, Math.min(limit, CONFIG_LIMITS.history), before);
      return rows.filter((r) => r.version > floor);
    },
    async at(version, scope) {
      return structuredClone(await treeAt(ns(scope), version, 'version'));
    },
    async diff(from, to, scope) {
      const namespace = ns(scope);
      const before = await treeAt(namespace, from, 'from');
      const after =
        to === undefined ? (await log.head(namespace)).tree : await treeAt(namespace, to, 'to');
      return diffTrees(before, after);
    },
    async rollback(version, opts) {
      checkVersion(version, 'version');
      return change(opts, 'rollback', async (_tree, namespace) => {
        const tree = await treeAt(namespace, version, 'version');
        return { tree, change: { path: '', value: tree }, from: version };
      });
    },
    async setSchema(schema, scope) {
      const namespace = ns(scope);
      if (schema === undefined || schema === null) return log.setSchema(namespace, undefined);
      const checked = await checkSchema(schema);
      // A schema the current tree already breaks would refuse every later change: refused itself.
      await validateTree(checked, (await log.head(namespace)).tree, namespace);
      await log.setSchema(namespace, checked);
    },
    async schema(scope) {
      return log.schema(ns(scope));
    },
    namespaces: () => log.namespaces(),
    watch(path, scope) {
      const watched = parsePath(path);
      const namespace = ns(scope);
      let stop: (() => void) | undefined;
      const channel = new Channel<ConfigEvent>(() => {
        stop?.();
        watchers.delete(watcher);
      }, BACKLOG);
      const ready = log
        .follow(namespace, (entry) => {
          const event = eventFor(watched, entry);
          if (event) channel.push(event);
        })
        .then((s) => {
          if (channel.closed) s();
          else stop = s;
        });
      ready.catch(() => channel.close());
      const watcher: ConfigWatcher = {
        ready,
        stop: () => channel.close(),
        [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator](),
      };
      watchers.add(watcher);
      return watcher;
    },
    async close() {
      for (const w of [...watchers]) w.stop();
      await log.close();
    },
  };
}

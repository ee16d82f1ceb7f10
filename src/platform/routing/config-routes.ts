// Routes kept in a Config: namespace `micro-routes` holds one tree `{<service>: TrafficRule}`. Every
// change writes the whole tree at path '' guarded by `ifVersion` (retried on a 409 from a change
// made in between), so service names with dots stay one key and concurrent changes are all kept.
// A delete of a service whose name has no dot deletes its path, so the history says `delete`.
// Each change is a config version: history and rollback are the config's. Guarantees (durability,
// consistency, who sees a change when) are the Config's; entries a hand-edit broke are skipped.
import { badRequest, conflict, MicroError, notFound } from '../../runtime/errors.ts';
import { Channel } from '../../registry/channel.ts';
import type { Config, ConfigVersion } from '../config/config.ts';
import {
  ROUTE_LIMITS,
  type RouteChange,
  type Routes,
  type RoutesVersion,
  type RoutesWatcher,
  type TrafficRule,
} from './routing.ts';
import { checkService, ROUTES_ID, validateRule } from './validate.ts';

/** The config namespace of the rules. */
export const ROUTES_NAMESPACE = 'micro-routes';

/** Options of routes kept in a Config. */
export interface ConfigRoutesOptions {
  /** Where the rules are kept. */
  config: Config;
  /** Its namespace (default `micro-routes`). */
  namespace?: string;
  /** Who changes are recorded as made by when a call names no one (default: the config's). */
  author?: string;
  /** Close `config` on close() (true when the routes opened it). */
  owned?: boolean;
}

/** A service name that is also one config path segment (no dots). */
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** How often a change is tried again after a 409 before giving up. */
const ATTEMPTS = 16;

type Tree = Record<string, unknown>;

/** The well-formed rules of a tree, by service; an entry a hand-edit broke is left out. */
export function rulesOf(tree: unknown): Map<string, TrafficRule> {
  const rules = new Map<string, TrafficRule>();
  if (typeof tree !== 'object' || tree === null || Array.isArray(tree)) return rules;
  for (const [service, value] of Object.entries(tree as Tree)) {
    try {
      const rule = validateRule(value);
      if (rule.service === service) rules.set(service, rule);
    } catch {
      // Not a rule (a hand-edit): as if absent.
    }
  }
  return rules;
}

const versionOf = (v: ConfigVersion): RoutesVersion => ({
  version: v.version,
  author: v.author,
  at: v.at,
  action: v.action,
});

const same = (a: TrafficRule | undefined, b: TrafficRule | undefined): boolean =>
  JSON.stringify(a) === JSON.stringify(b);

/** Traffic rules kept in a Config. */
export function createRoutes(options: ConfigRoutesOptions): Routes {
  const { config } = options;
  const namespace = options.namespace ?? ROUTES_NAMESPACE;
  const watchers = new Set<RoutesWatcher>();
  const by = (o?: { author?: string }) => {
    const author = o?.author ?? options.author;
    return author === undefined ? {} : { author };
  };

  /** Applies `edit` to the latest tree and writes it if it changed; retried on a 409. */
  const change = async (
    edit: (tree: Tree) => Tree | undefined,
    o?: { author?: string },
  ): Promise<ConfigVersion | undefined> => {
    for (let attempt = 0; ; attempt++) {
      const head = await config.get('', { namespace });
      const tree = (head.value ?? {}) as Tree;
      const next = edit(tree);
      if (next === undefined) return undefined;
      try {
        return await config.set('', next, { namespace, ifVersion: head.version, ...by(o) });
      } catch (err) {
        if (!(err instanceof MicroError && err.code === 409) || attempt + 1 >= ATTEMPTS) throw err;
      }
    }
  };

  const routes: Routes = {
    async list() {
      const { value } = await config.get('', { namespace });
      return [...rulesOf(value).values()].sort((a, b) => a.service.localeCompare(b.service));
    },
    async get(service) {
      checkService(service);
      const { value } = await config.get('', { namespace });
      return rulesOf(value).get(service);
    },
    async set(input, o) {
      const rule = validateRule(input);
      delete rule.author;
      delete rule.updated;
      let stored: TrafficRule = rule;
      await change((tree) => {
        if (!Object.hasOwn(tree, rule.service) && Object.keys(tree).length >= ROUTE_LIMITS.services)
          throw badRequest(
            ROUTES_ID,
            `rule.service: ${ROUTE_LIMITS.services} services have a rule already, the limit; nothing was stored`,
          );
        const author = o?.author ?? options.author;
        stored = { ...rule, ...(author !== undefined && { author }), updated: Date.now() };
        return { ...tree, [rule.service]: stored };
      }, o);
      return stored;
    },
    async delete(service, o) {
      checkService(service);
      if (!SEGMENT.test(service)) {
        // A dotted name is not a config path: the whole tree without it is written instead.
        const v = await change((tree) => {
          if (!Object.hasOwn(tree, service)) return undefined;
          const { [service]: _gone, ...rest } = tree;
          return rest;
        }, o);
        return v !== undefined;
      }
      for (let attempt = 0; ; attempt++) {
        const head = await config.get('', { namespace });
        if (!Object.hasOwn(head.value ?? {}, service)) return false;
        try {
          await config.delete(service, { namespace, ifVersion: head.version, ...by(o) });
          return true;
        } catch (err) {
          if (!(err instanceof MicroError && err.code === 409) || attempt + 1 >= ATTEMPTS)
            throw err;
        }
      }
    },
    async history(limit = 100) {
      return (await config.history({ namespace, limit })).map(versionOf);
    },
    async rollback(version, o) {
      if (version === undefined) {
        const [latest, before] = await config.history({ namespace, limit: 2 });
        if (latest === undefined)
          throw notFound(ROUTES_ID, 'no rules were ever set: there is nothing to undo');
        if (before === undefined) {
          // Undoing the first version: back to no rules at all.
          const v = await config.set('', {}, { namespace, ifVersion: latest.version, ...by(o) });
          return { ...versionOf(v), action: 'rollback' };
        }
        version = before.version;
      }
      try {
        return versionOf(await config.rollback(version, { namespace, ...by(o) }));
      } catch (err) {
        if (err instanceof MicroError && err.code === 409)
          throw conflict(ROUTES_ID, `${err.detail} (rules changed meanwhile)`);
        throw err;
      }
    },
    watch() {
      return watchRules(config, namespace, (w) => watchers.delete(w), watchers);
    },
    async close() {
      for (const w of [...watchers]) w.stop();
      if (options.owned) await config.close();
    },
  };
  return routes;
}

/** A RoutesWatcher over a config watch of the whole tree: each rule that differs from the last tree seen. */
function watchRules(
  config: Config,
  namespace: string,
  onStop: (w: RoutesWatcher) => void,
  watchers: Set<RoutesWatcher>,
): RoutesWatcher {
  const inner = config.watch('', { namespace });
  const channel = new Channel<RouteChange>(() => {
    inner.stop();
    onStop(watcher);
  }, 10_000);
  let seen = new Map<string, TrafficRule>();
  let version = 0;
  const apply = (rules: Map<string, TrafficRule>, at: number): void => {
    if (at <= version) return;
    version = at;
    for (const [service, rule] of rules)
      if (!same(seen.get(service), rule)) channel.push({ service, rule });
    for (const service of seen.keys())
      if (!rules.has(service)) channel.push({ service, rule: undefined });
    seen = rules;
  };
  const ready = (async () => {
    await inner.ready;
    const head = await config.get('', { namespace });
    seen = rulesOf(head.value);
    version = head.version;
  })();
  ready.catch(() => channel.close());
  void (async () => {
    try {
      await ready;
      for await (const event of inner) {
        if (channel.closed) return;
        // A change of the whole tree carries it; a hand-edit of one path is read back whole.
        if (event.path === '') apply(rulesOf(event.value), event.version);
        else {
          const head = await config.get('', { namespace });
          apply(rulesOf(head.value), head.version);
        }
      }
    } catch {
      // The config's watch failed: this one ends too (its reader reads the rules again).
    }
    channel.close();
  })();
  const watcher: RoutesWatcher = {
    ready,
    stop: () => channel.close(),
    [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator](),
  };
  watchers.add(watcher);
  return watcher;
}

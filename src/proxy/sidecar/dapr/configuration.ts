// Dapr's configuration API on micro's Config. Configuration store S is the config namespace S; a Dapr
// key is a config path (`db.pool.max`), and an item's value is the string at that path, or the JSON
// of any other value. An item's version is the namespace's version when read. A get without keys
// returns every leaf of the tree (at most DAPR_LIMITS.items).
//
// Subscribe watches the keys (or the whole tree) and POSTs each change to the app, as Dapr does, at
// `http://<--server-address>/configuration/S/<key>` with `{id, items: {key: {value, version,
// metadata}}}` (a deleted key: value ''). Delivery is at most once, in order per subscription, each
// POST given 5 s; a change under a subscribed tree sends the leaves under the changed path. Limits:
// DAPR_LIMITS.keys keys a request, DAPR_LIMITS.subscriptions subscriptions (past them a 429).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MicroError, badRequest, notFound } from '../../../runtime/errors.ts';
import type { Logger } from '../../../runtime/server/server.ts';
import type { Config, ConfigEvent, ConfigWatcher } from '../../../platform/config/config.ts';
import { SIDECAR_ID } from '../guard.ts';
import { DaprError, asDapr, notConfigured } from './errors.ts';
import { DAPR_LIMITS, componentName, isObject, queryList, queryMetadata } from './input.ts';

/** One configuration item as Dapr writes it. */
export interface DaprItem {
  value: string;
  version: string;
  metadata: Record<string, string>;
}

const item = (value: unknown, version: number): DaprItem => ({
  value: value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value),
  version: String(version),
  metadata: {},
});

/** The leaves of a tree under `at` by dotted path (arrays and scalars are leaves); a 400 past `max`. */
export function leaves(
  tree: unknown,
  at = '',
  max: number = DAPR_LIMITS.items,
): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (v: unknown, path: string): void => {
    if (isObject(v) && (path === '' || Object.keys(v).length > 0)) {
      for (const [k, x] of Object.entries(v)) walk(x, path === '' ? k : `${path}.${k}`);
      return;
    }
    if (path === '') return;
    if (out.size >= max)
      throw new DaprError(
        'ERR_CONFIGURATION_GET',
        badRequest(SIDECAR_ID, `the store has more than ${max} items: name the keys (?key=...)`),
      );
    out.set(path, v);
  };
  if (at !== '' && !isObject(tree)) out.set(at, tree);
  else walk(tree, at);
  return out;
}

interface Subscription {
  store: string;
  watchers: ConfigWatcher[];
}

/** The subscriptions a sidecar keeps; stop them all with close(). */
export interface DaprSubscriptions {
  close(): void;
}

/** Registers `/v1.0/configuration/{store}` get, subscribe and unsubscribe (and the alpha1 paths) over `config`. */
export function registerConfiguration(
  app: FastifyInstance,
  config: Config | undefined,
  appAddress: string | undefined,
  logger: Logger,
): DaprSubscriptions {
  const subscriptions = new Map<string, Subscription>();
  const open = (req: FastifyRequest) => {
    if (!config) throw notConfigured('ERR_CONFIGURATION_STORE_NOT_CONFIGURED', 'config');
    const store = componentName((req.params as { store: string }).store, 'configuration store');
    queryMetadata(req.query);
    return { config, store, keys: queryList(req.query, 'key', DAPR_LIMITS.keys) };
  };

  const get = async (req: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const { config: c, store, keys } = open(req);
    const items: Record<string, DaprItem> = {};
    await asDapr('ERR_CONFIGURATION_GET', async () => {
      if (keys.length === 0) {
        const { value, version } = await c.get('', { namespace: store });
        for (const [k, v] of leaves(value)) items[k] = item(v, version);
        return;
      }
      for (const key of keys) {
        const { value, version } = await c.get(key, { namespace: store });
        if (value !== undefined) items[key] = item(value, version);
      }
    });
    if (Object.keys(items).length === 0) return reply.code(204).send();
    return items;
  };

  const deliver = (id: string, store: string) => {
    let queue = Promise.resolve();
    let pending = 0;
    return (key: string, items: Record<string, DaprItem>) => {
      if (pending >= DAPR_LIMITS.items) {
        logger.warn(
          `configuration subscription ${id}: the app is behind, dropped a change of ${key}`,
        );
        return;
      }
      pending++;
      queue = queue.then(async () => {
        try {
          const res = await fetch(
            `http://${appAddress}/configuration/${encodeURIComponent(store)}/${encodeURIComponent(key)}`,
            {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ id, items }),
              signal: AbortSignal.timeout(5000),
            },
          );
          await res.arrayBuffer();
          if (!res.ok)
            logger.warn(`the app answered ${res.status} to a configuration update of ${key}`);
        } catch (err) {
          logger.warn(
            `could not send a configuration update of ${key} to the app: ${(err as Error).message}`,
          );
        } finally {
          pending--;
        }
      });
    };
  };

  const pump = async (watcher: ConfigWatcher, onEvent: (e: ConfigEvent) => Promise<void>) => {
    try {
      for await (const e of watcher)
        await onEvent(e).catch((err: unknown) =>
          logger.warn(`a configuration change was not sent: ${(err as Error).message}`),
        );
    } catch (err) {
      logger.warn(`a configuration watch ended: ${(err as Error).message}`);
    }
  };

  const subscribe = async (req: FastifyRequest) => {
    const { config: c, store, keys } = open(req);
    if (!appAddress)
      throw new DaprError(
        'ERR_CONFIGURATION_SUBSCRIBE',
        badRequest(
          SIDECAR_ID,
          'no app to send updates to: start the sidecar with --server-address',
        ),
      );
    if (subscriptions.size >= DAPR_LIMITS.subscriptions)
      throw new DaprError(
        'ERR_CONFIGURATION_SUBSCRIBE',
        new MicroError(
          SIDECAR_ID,
          429,
          `this sidecar already keeps ${DAPR_LIMITS.subscriptions} subscriptions`,
        ),
      );
    const id = randomUUID();
    const send = deliver(id, store);
    const ns = { namespace: store };
    // A watch reports the deeper of the watched and the changed path, with its value.
    const watchers = (keys.length === 0 ? [''] : keys).map((key) => {
      const w = c.watch(key, ns);
      void pump(w, async (e) => {
        if (key === '') {
          const items: Record<string, DaprItem> = {};
          for (const [k, v] of leaves(e.value, e.path)) items[k] = item(v, e.version);
          for (const k of Object.keys(items)) send(k, items);
        } else {
          const value = e.path === key ? e.value : (await c.get(key, ns)).value;
          send(key, { [key]: item(value, e.version) });
        }
      });
      return w;
    });
    try {
      await asDapr('ERR_CONFIGURATION_SUBSCRIBE', () => Promise.all(watchers.map((w) => w.ready)));
    } catch (err) {
      for (const w of watchers) w.stop();
      throw err;
    }
    subscriptions.set(id, { store, watchers });
    return { id };
  };

  const unsubscribe = async (req: FastifyRequest) => {
    const { store } = open(req);
    const id = (req.params as { id: string }).id;
    const s = subscriptions.get(id);
    if (!s || s.store !== store)
      throw new DaprError(
        'ERR_CONFIGURATION_UNSUBSCRIBE',
        notFound(SIDECAR_ID, `no subscription ${id.slice(0, 100)} on configuration store ${store}`),
      );
    for (const w of s.watchers) w.stop();
    subscriptions.delete(id);
    return { ok: true };
  };

  for (const v of ['v1.0', 'v1.0-alpha1']) {
    app.get(`/${v}/configuration/:store`, get);
    app.get(`/${v}/configuration/:store/subscribe`, subscribe);
    app.get(`/${v}/configuration/:store/:id/unsubscribe`, unsubscribe);
  }
  return {
    close() {
      for (const s of subscriptions.values()) for (const w of s.watchers) w.stop();
      subscriptions.clear();
    },
  };
}

// The control plane's `store` service: any Store served over RPC as the `Store` handler (Get, Put,
// Delete, List, GetMany, Transact, Watch, Namespaces; shapes in the platform contract). Requests
// are closed (an unknown field is a 400 naming it) and checked by the store's own validation, so
// `micro call store Store.Put '{"key":"a","value":1}'` gets the answers a Store gives in-process. A
// call that names no database uses the calling service's name (Micro-From-Service), else `micro`.
// hostStore serves SQLite in micro.db, or the engine MICRO_STORE names in the control plane's
// environment (etcd, redis, nats, memory).
import { badRequest } from '../../runtime/errors.ts';
import type { Context } from '../../runtime/context.ts';
import { closed, closedShape, passedAsIs } from '../../runtime/server/closed.ts';
import { endpoint, serverStream } from '../../runtime/server/declare.ts';
import type { Handler } from '../../runtime/server/handler.ts';
import { accessCheck, type Check } from '../access.ts';
import { servedEngine } from '../served.ts';
import type { HostContext, Hosted } from '../hosting.ts';
import { STORE_LIMITS, type Entry, type Namespace, type Operation, type Store } from './store.ts';
import { checkWatch, DEFAULT_DATABASE, DEFAULT_TABLE, STORE_ID } from './validate.ts';

type Req = Record<string, unknown>;

const NAME = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' };
const namespace = {
  database: {
    ...NAME,
    description: "the namespace's database; the caller's service name by default",
  },
  table: { ...NAME, description: 'the table in that database; `default` by default' },
};
const key = {
  type: 'string',
  minLength: 1,
  description: `up to ${STORE_LIMITS.keyBytes} bytes, no NUL`,
};
const put = {
  value: { description: `any JSON, up to ${STORE_LIMITS.valueBytes} bytes` },
  ttl: { type: 'integer', minimum: STORE_LIMITS.minTtl, description: 'lease in ms' },
  ifVersion: { type: 'string', description: 'write only if the key is at this version' },
  ifAbsent: { type: 'boolean', description: 'write only if the key does not exist' },
};

/** The request as is, once closed() found only its fields (the engine checks the values). */
const asIs = passedAsIs(STORE_ID, 'Store');

/** The namespace of a call: the one it names, else the caller's service name, else `micro`. */
function callNamespace(req: Req, ctx: Context): Namespace {
  const ns: Namespace = {};
  if (req.database !== undefined) ns.database = req.database as string;
  else if (ctx.from) {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(ctx.from))
      throw badRequest(
        STORE_ID,
        `database: none given, and the calling service's name ${JSON.stringify(ctx.from.slice(0, 64))} cannot be one; name a database`,
      );
    ns.database = ctx.from;
  } else ns.database = DEFAULT_DATABASE;
  if (req.table !== undefined) ns.table = req.table as string;
  return ns;
}

/** Entries as the wire carries them: null where there is none. */
const orNull = (entries: (Entry | undefined)[]): (Entry | null)[] => entries.map((e) => e ?? null);

/**
 * The Store handler: any Store, served to other processes as the `store` service. With `check`
 * (auth on), a call needs `store:<database>/<table>:read` or `:write`, and Namespaces `store:*:read`.
 */
export function storeHandler(store: Store, check: Check = accessCheck(undefined)): Handler {
  /** The call's namespace, once its caller may read or write there. */
  const namespaceOf = (req: Req, ctx: Context, action: 'read' | 'write'): Namespace => {
    const ns = callNamespace(req, ctx);
    check(ctx, 'store', `${ns.database}/${ns.table ?? DEFAULT_TABLE}`, action);
    return ns;
  };
  return {
    Get: endpoint({ request: asIs('Get', { key, ...namespace }, ['key']) }, async (req, ctx) => {
      const entry = await store.get(req.key as string, namespaceOf(req, ctx, 'read'));
      return entry ? { entry } : {};
    }),
    Put: endpoint(
      { request: asIs('Put', { key, ...put, ...namespace }, ['key', 'value']) },
      async (req, ctx) => {
        const { key: k, value, database: _d, table: _t, ...conditions } = req;
        const options = { ...conditions, ...namespaceOf(req, ctx, 'write') };
        return { entry: await store.put(k as string, value, options) };
      },
    ),
    Delete: endpoint(
      { request: asIs('Delete', { key, ifVersion: put.ifVersion, ...namespace }, ['key']) },
      async (req, ctx) => {
        const options = {
          ...namespaceOf(req, ctx, 'write'),
          ...(req.ifVersion !== undefined && { ifVersion: req.ifVersion as string }),
        };
        return { deleted: await store.delete(req.key as string, options) };
      },
    ),
    List: endpoint(
      {
        request: asIs('List', {
          prefix: { type: 'string', description: 'only keys starting with this' },
          limit: {
            type: 'integer',
            minimum: 1,
            maximum: STORE_LIMITS.page,
            description: `entries per page (default ${STORE_LIMITS.defaultPage})`,
          },
          cursor: { type: 'string', description: "a previous page's next" },
          keysOnly: { type: 'boolean', description: 'keys and versions only' },
          ...namespace,
        }),
      },
      async (req, ctx) => {
        const { database: _d, table: _t, ...options } = req;
        return store.list({ ...options, ...namespaceOf(req, ctx, 'read') });
      },
    ),
    GetMany: endpoint(
      {
        request: asIs(
          'GetMany',
          { keys: { type: 'array', items: key, maxItems: STORE_LIMITS.batch }, ...namespace },
          ['keys'],
        ),
      },
      async (req, ctx) => ({
        entries: orNull(await store.getMany(req.keys as string[], namespaceOf(req, ctx, 'read'))),
      }),
    ),
    Transact: endpoint(
      {
        request: asIs(
          'Transact',
          {
            operations: {
              type: 'array',
              maxItems: STORE_LIMITS.batch,
              items: {
                type: 'object',
                required: ['op', 'key'],
                properties: { op: { enum: ['put', 'delete'] }, key, ...put },
              },
            },
            ...namespace,
          },
          ['operations'],
        ),
      },
      async (req, ctx) => ({
        entries: orNull(
          await store.transact(req.operations as Operation[], namespaceOf(req, ctx, 'write')),
        ),
      }),
    ),
    Watch: serverStream(
      {
        request: closed(
          STORE_ID,
          'Store.Watch',
          closedShape({ key, prefix: { type: 'string' }, ...namespace }),
          (req: Req) => {
            checkWatch({
              key: req.key as string | undefined,
              prefix: req.prefix as string | undefined,
            });
            return req;
          },
        ),
      },
      async function* (req, ctx) {
        const { database: _d, table: _t, ...filter } = req;
        const watcher = store.watch({ ...filter, ...namespaceOf(req, ctx, 'read') });
        ctx.signal.addEventListener('abort', () => watcher.stop());
        try {
          // Tells the client its watch is in place, so nothing it writes afterwards is missed.
          yield { ready: true };
          for await (const event of watcher) yield event;
        } finally {
          watcher.stop();
        }
      },
    ),
    Namespaces: endpoint({ request: asIs('Namespaces', {}) }, async (_req, ctx) => {
      check(ctx, 'store', '*', 'read');
      return { namespaces: await store.namespaces() };
    }),
  };
}

/** Hosts the store service: SQLite in micro.db, or the engine MICRO_STORE names (not `micro`). */
export async function hostStore(context: HostContext): Promise<Hosted> {
  const store: Store = await servedEngine(context, {
    name: 'store',
    variable: 'MICRO_STORE',
    sqlite: async () =>
      (await import('./sqlite.ts')).createSqliteStore({
        path: context.dbPath,
        nativeBinding: context.nativeBinding,
      }),
    table: async () => (await import('./index.ts')).stores,
    options: { database: DEFAULT_DATABASE },
  });
  return {
    handlers: { Store: storeHandler(store, accessCheck(context.authorize)) },
    close: () => store.close(),
  };
}

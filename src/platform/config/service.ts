// The control plane's `config` service: any Config served over RPC as the `Config` handler
// (`micro call config Config.Get '{"path":"db"}'`). A call naming no namespace works in the
// caller's (its service name, ctx.from), else in `micro`. A change is recorded as made by the
// calling service, else by the `Micro-Author` metadata (the CLI sends its user), else `anonymous`;
// these are what callers say of themselves, not authenticated. With auth on the author is the
// caller's account, and a call needs `config:<namespace>/<path>:read|write` (an empty path: the
// whole namespace). Each version made through it is announced on `micro.config`
// (src/platform/events/platform.ts) once stored, when events are hosted.
import type { Context } from '../../runtime/context.ts';
import { closed } from '../../runtime/server/closed.ts';
import { endpoint, serverStream } from '../../runtime/server/declare.ts';
import type { Handler } from '../../runtime/server/handler.ts';
import { accessCheck, type Check } from '../access.ts';
import {
  lateEmit,
  PLATFORM_TOPICS,
  type PlatformConfigEvent,
  type PlatformEmit,
} from '../events/platform.ts';
import type { HostContext, Hosted } from '../hosting.ts';
import type { ChangeOptions, Config, ConfigEvent, ConfigVersion } from './config.ts';
import { CONFIG_ID } from './tree.ts';

/** A request's fields, once closed() found only known ones (the Config checks their values). */
type Fields = Record<string, unknown>;

/** A closed request schema of these properties: an unknown or missing field is a 400 naming it. */
const closedRequest = (name: string, properties: Record<string, object>, required: string[] = []) =>
  closed(
    CONFIG_ID,
    `Config.${name}`,
    {
      type: 'object',
      properties,
      ...(required.length > 0 && { required }),
      additionalProperties: false,
    },
    (req: Fields) => req,
  );

const namespace = { type: 'string', description: "default: the caller's service name, else micro" };
const path = { type: 'string', description: 'dot-separated, as db.pool.max; "" is the whole tree' };
const version = { type: 'integer', minimum: 0 };
const ifVersion = {
  type: 'integer',
  minimum: 0,
  description: 'apply only at this version (409 otherwise)',
};

/** The namespace a call works in. */
const callScope = (req: Fields, ctx: Context) => ({
  namespace: (req.namespace as string | undefined) ?? ctx.from ?? 'micro',
});

/** A change's namespace, author and ifVersion. */
const changeOf = (req: Fields, ctx: Context): ChangeOptions => ({
  ...callScope(req, ctx),
  // With auth on, the account the token names: no longer what the caller says of itself.
  author: ctx.caller?.id ?? ctx.from ?? ctx.metadata['micro-author'] ?? 'anonymous',
  ...(req.ifVersion === undefined ? {} : { ifVersion: req.ifVersion as number }),
});

/** The `micro.config` event of a version just stored in namespace. */
function changed(namespace: string, v: ConfigVersion): PlatformConfigEvent {
  const at = v.path === '' ? 'the whole tree' : v.path;
  const what =
    v.action === 'rollback'
      ? `rolled back to version ${v.from ?? '?'}`
      : `${at} ${v.action === 'set' ? 'set' : 'deleted'}`;
  return {
    action: v.action,
    namespace,
    path: v.path,
    version: v.version,
    author: v.author,
    summary: `config ${namespace}: ${what} (version ${v.version}) by ${v.author}`,
  };
}

/**
 * The Config handler: the contract's endpoints over `config`; `emit` (when given) is told of each
 * version Set, Delete and Rollback store; `check` (auth on) is asked before each call.
 */
export function configHandler(
  config: Config,
  emit?: PlatformEmit,
  check: Check = accessCheck(undefined),
): Handler {
  /** The call's namespace, once its caller may read or write `path` in it ('' the whole tree). */
  const scope = (req: Fields, ctx: Context, action: 'read' | 'write', path = '') => {
    const s = callScope(req, ctx);
    check(ctx, 'config', `${s.namespace}/${path}`, action);
    return s;
  };
  /** A change's namespace, author and ifVersion, once its caller may write `path`. */
  const change = (req: Fields, ctx: Context, path = ''): ChangeOptions => {
    scope(req, ctx, 'write', path);
    return changeOf(req, ctx);
  };
  const announce = (options: ChangeOptions, v: ConfigVersion): ConfigVersion => {
    emit?.(PLATFORM_TOPICS.config, { ...changed(options.namespace ?? 'micro', v) });
    return v;
  };
  return {
    Get: endpoint(
      { request: closedRequest('Get', { path, namespace }, ['path']) },
      async (req, ctx) =>
        config.get(req.path as string, scope(req, ctx, 'read', req.path as string)),
    ),
    Set: endpoint(
      {
        request: closedRequest('Set', { path, value: {}, namespace, ifVersion }, ['path', 'value']),
      },
      async (req, ctx) => {
        const options = change(req, ctx, req.path as string);
        return announce(options, await config.set(req.path as string, req.value, options));
      },
    ),
    Delete: endpoint(
      { request: closedRequest('Delete', { path, namespace, ifVersion }, ['path']) },
      async (req, ctx) => {
        const options = change(req, ctx, req.path as string);
        return announce(options, await config.delete(req.path as string, options));
      },
    ),
    History: endpoint(
      {
        request: closedRequest('History', {
          namespace,
          limit: { type: 'integer', minimum: 1, description: 'default 100' },
          before: { type: 'integer', minimum: 1, description: 'versions below this one' },
        }),
      },
      async (req, ctx) => ({
        versions: await config.history({
          ...scope(req, ctx, 'read'),
          limit: req.limit as number | undefined,
          before: req.before as number | undefined,
        }),
      }),
    ),
    At: endpoint(
      { request: closedRequest('At', { version, namespace }, ['version']) },
      async (req, ctx) => ({
        value: await config.at(req.version as number, scope(req, ctx, 'read')),
      }),
    ),
    Diff: endpoint(
      {
        request: closedRequest(
          'Diff',
          { from: version, to: { ...version, description: 'default: the latest' }, namespace },
          ['from'],
        ),
      },
      async (req, ctx) => ({
        changes: await config.diff(
          req.from as number,
          req.to as number | undefined,
          scope(req, ctx, 'read'),
        ),
      }),
    ),
    Rollback: endpoint(
      { request: closedRequest('Rollback', { version, namespace, ifVersion }, ['version']) },
      async (req, ctx) => {
        const options = change(req, ctx);
        return announce(options, await config.rollback(req.version as number, options));
      },
    ),
    SetSchema: endpoint(
      {
        request: closedRequest(
          'SetSchema',
          {
            schema: { type: ['object', 'null'], description: 'a JSON Schema; null removes it' },
            namespace,
          },
          ['schema'],
        ),
      },
      async (req, ctx) => {
        await config.setSchema(req.schema ?? undefined, change(req, ctx));
        return {};
      },
    ),
    Schema: endpoint({ request: closedRequest('Schema', { namespace }) }, async (req, ctx) => ({
      schema: await config.schema(scope(req, ctx, 'read')),
    })),
    Namespaces: endpoint({ request: closedRequest('Namespaces', {}) }, async (_req, ctx) => {
      check(ctx, 'config', '*', 'read');
      return { namespaces: await config.namespaces() };
    }),
    Watch: serverStream(
      { request: closedRequest('Watch', { path, namespace }, ['path']) },
      async function* (req: Fields, ctx): AsyncGenerator<ConfigEvent | { ready: true }> {
        const watcher = config.watch(
          req.path as string,
          scope(req, ctx, 'read', req.path as string),
        );
        ctx.signal.addEventListener('abort', () => watcher.stop());
        try {
          await watcher.ready;
          // Tells the client its watch is in place, so nothing it changes afterwards is missed.
          yield { ready: true };
          for await (const event of watcher) yield event;
        } finally {
          watcher.stop();
        }
      },
    ),
  };
}

/**
 * Hosts the config service in the control plane: SQLite in micro.db, unless the control plane's
 * environment names another engine (MICRO_CONFIG=etcd at MICRO_CONFIG_ADDRESS, or memory).
 */
export async function hostConfig(context: HostContext): Promise<Hosted> {
  const engine = context.env.MICRO_CONFIG || 'micro';
  let config: Config;
  if (!['micro', 'etcd', 'memory'].includes(engine))
    throw new TypeError(
      `unknown config "${engine}" (MICRO_CONFIG): the control plane serves micro (SQLite), etcd or memory`,
    );
  if (engine === 'etcd') {
    const { createEtcdConfig } = await import('./etcd.ts');
    config = createEtcdConfig({ address: context.env.MICRO_CONFIG_ADDRESS || undefined });
  } else if (engine === 'memory') {
    const { createMemoryConfig } = await import('./memory.ts');
    config = createMemoryConfig();
  } else {
    const { createSqliteConfig } = await import('./sqlite.ts');
    config = createSqliteConfig({ path: context.dbPath, nativeBinding: context.nativeBinding });
  }
  return {
    handlers: {
      Config: configHandler(
        config,
        lateEmit(() => context.emit),
        accessCheck(context.authorize),
      ),
    },
    close: () => config.close(),
  };
}

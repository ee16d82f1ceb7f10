// The `micro` Config: the control plane's `config` service called over RPC (the default for
// services). Guarantees are the service's engine's (SQLite by default). A change is sent once, never
// retried, so a failure never records it twice; reads are retried as any call. A watch is a server
// stream that reconnects after a failure (backing off up to 5 s) until stopped; on reconnecting it
// reads the path again and reports it as one event if versions were missed meanwhile.
import { Channel } from '../../registry/channel.ts';
import type { Client } from '../../runtime/client/client.ts';
import type { Metadata } from '../../runtime/metadata.ts';
import type {
  Config,
  ConfigDiff,
  ConfigEvent,
  ConfigOptions,
  ConfigScope,
  ConfigValue,
  ConfigVersion,
  ConfigWatcher,
} from './config.ts';
import { checkJson } from './tree.ts';

/** Options of the micro config. */
export interface MicroConfigOptions extends ConfigOptions {
  /** The client to call with (a service's own, so calls carry its name); default: a client of the control plane at `address`. */
  client?: Client;
}

const SERVICE = 'config';
const BACKOFF_MAX = 5000;

/** A Config calling the control plane's config service. */
export function createMicroConfig(options: MicroConfigOptions = {}): Config {
  const address = options.address ?? '127.0.0.1:8000';
  const timeout = options.timeout ?? 5000;
  let owned: Promise<Client> | undefined;
  const client = (): Promise<Client> =>
    options.client
      ? Promise.resolve(options.client)
      : (owned ??= (async () => {
          const [{ createClient }, { createMicroRegistry }] = await Promise.all([
            import('../../runtime/client/rpc-client.ts'),
            import('../../registry/micro.ts'),
          ]);
          return createClient({ registry: createMicroRegistry({ address, timeout }) });
        })());
  const watchers = new Set<ConfigWatcher>();
  const scoped = (scope?: ConfigScope): { namespace?: string } => {
    const namespace = scope?.namespace ?? options.namespace;
    return namespace === undefined ? {} : { namespace };
  };
  const call = async <T>(
    endpoint: string,
    body: Record<string, unknown>,
    extra: { author?: string; retries?: number } = {},
  ): Promise<T> => {
    const author = extra.author ?? options.author;
    const metadata: Metadata = author === undefined ? {} : { 'micro-author': author };
    return (await client()).call<T>(SERVICE, `Config.${endpoint}`, body, {
      timeout,
      metadata,
      ...(extra.retries === undefined ? {} : { retries: extra.retries }),
    });
  };
  const changeOf = (o: { ifVersion?: number } = {}) =>
    o.ifVersion === undefined ? {} : { ifVersion: o.ifVersion };

  const config: Config = {
    name: 'micro',
    address,
    get: async (path, scope) => {
      const { value, version } = await call<ConfigValue>('Get', { path, ...scoped(scope) });
      return { value, version };
    },
    async set(path, value, o = {}) {
      // Checked here too: JSON would drop an undefined value, and a function or NaN would change.
      checkJson(value);
      return call<ConfigVersion>(
        'Set',
        { path, value, ...scoped(o), ...changeOf(o) },
        { author: o.author, retries: 0 },
      );
    },
    delete: (path, o = {}) =>
      call<ConfigVersion>(
        'Delete',
        { path, ...scoped(o), ...changeOf(o) },
        { author: o.author, retries: 0 },
      ),
    history: async (o = {}) =>
      (
        await call<{ versions: ConfigVersion[] }>('History', {
          ...scoped(o),
          ...(o.limit === undefined ? {} : { limit: o.limit }),
          ...(o.before === undefined ? {} : { before: o.before }),
        })
      ).versions,
    at: async (version, scope) =>
      (await call<{ value: unknown }>('At', { version, ...scoped(scope) })).value,
    diff: async (from, to, scope) =>
      (
        await call<{ changes: ConfigDiff[] }>('Diff', {
          from,
          ...(to === undefined ? {} : { to }),
          ...scoped(scope),
        })
      ).changes,
    rollback: (version, o = {}) =>
      call<ConfigVersion>(
        'Rollback',
        { version, ...scoped(o), ...changeOf(o) },
        { author: o.author, retries: 0 },
      ),
    async setSchema(schema, o = {}) {
      await call('SetSchema', { schema: schema ?? null, ...scoped(o) }, { author: o.author });
    },
    schema: async (scope) => (await call<{ schema?: object }>('Schema', scoped(scope))).schema,
    namespaces: async () => (await call<{ namespaces: string[] }>('Namespaces', {})).namespaces,
    watch(path, scope) {
      const watcher = watchOverStream(client, config, path, scoped(scope), () =>
        watchers.delete(watcher),
      );
      watchers.add(watcher);
      return watcher;
    },
    async close() {
      for (const w of [...watchers]) w.stop();
      if (owned) await (await owned).close();
    },
  };
  return config;
}

/** A watch as a server stream of Config.Watch, opened again after each failure until stopped. */
function watchOverStream(
  client: () => Promise<Client>,
  config: Config,
  path: string,
  scope: { namespace?: string },
  onStop: () => void,
): ConfigWatcher {
  let stream: { close(): void } | undefined;
  let last = -1;
  let settle!: { resolve: () => void; reject: (e: unknown) => void };
  const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  ready.catch(() => undefined);
  const channel = new Channel<ConfigEvent>(() => {
    stream?.close();
    onStop();
  }, 10_000);

  const run = async (): Promise<void> => {
    let wait = 100;
    for (let attempt = 0; !channel.closed; attempt++) {
      try {
        const s = await (
          await client()
        ).stream<unknown, ConfigEvent | { ready: true }>(SERVICE, 'Config.Watch');
        stream = s;
        if (channel.closed) return s.close();
        s.send({ path, ...scope });
        s.end();
        for await (const message of s) {
          if ('ready' in message) {
            wait = 100;
            if (attempt > 0) await catchUp();
            else {
              settle.resolve();
              // The version the watch started at, for telling later whether a reconnect missed any.
              void config.get(path, scope).then(
                (v) => (last = Math.max(last, v.version)),
                () => undefined,
              );
            }
            continue;
          }
          if (message.version <= last) continue;
          last = message.version;
          channel.push(message);
        }
      } catch (err) {
        if (attempt === 0) settle.reject(err);
      }
      if (channel.closed) return;
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, BACKOFF_MAX);
    }
  };
  // What changed while the stream was down: the path's value now, once, if any version was missed.
  const catchUp = async (): Promise<void> => {
    const now = await config.get(path, scope);
    if (now.version <= last) return;
    const [latest] = await config.history({ ...scope, limit: 1 });
    last = now.version;
    channel.push({ path, value: now.value, version: now.version, author: latest?.author ?? '' });
  };
  void run();
  return {
    ready,
    stop: () => channel.close(),
    [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator](),
  };
}

// The `micro` store, every service's default: the Store interface served by the control plane's
// `store` service, called through a runtime Client (the service's own, or one made here that finds
// the control plane at `address`, 127.0.0.1:8000 by default). Input is checked here first, with
// the same check the server runs, so a bad call fails at once with the error the server would give;
// the server's errors (400, 409) come back as they were raised. Guarantees are the served store's
// (SQLite: durable once acknowledged). A watch is the server stream `Store.Watch`; when it breaks
// (the control plane restarts) it reconnects with backoff, and changes made meanwhile are not
// replayed: read again after a gap if every change matters. A write waits until the watches opened
// before it are in place, so "watch, then write" never misses the write.
import { Channel, WATCH_BACKLOG } from '../../registry/channel.ts';
import type { Client } from '../../runtime/client/client.ts';
import { MicroError, toMicroError } from '../../runtime/errors.ts';
import type { Entry, Store, StoreEvent, StoreOptions, StoreWatcher } from './store.ts';
import {
  checkDelete,
  checkKey,
  checkKeys,
  checkList,
  checkNamespace,
  checkOperations,
  checkPut,
  checkWatch,
  STORE_ID,
} from './validate.ts';

/** Options of the control plane's store client. */
export interface MicroStoreOptions extends StoreOptions {
  /** The client to call through (a service's own); without it one is made for `address`. */
  client?: Client;
}

/** Where a client finds the control plane when given no address. */
export const CONTROL_PLANE_ADDRESS = '127.0.0.1:8000';

/** A Store that calls the control plane's `store` service. */
export function createMicroStore(options: MicroStoreOptions = {}): Store {
  const address = options.address ?? CONTROL_PLANE_ADDRESS;
  const timeout = options.timeout ?? 5000;
  const database = options.database;
  let own: Promise<Client> | undefined;
  const client = (): Promise<Client> =>
    options.client ? Promise.resolve(options.client) : (own ??= connect(address));
  const setups = new Set<Promise<void>>();
  const channels = new Set<Channel<StoreEvent>>();
  const where = options.client ? 'the store service' : `the store service at ${address}`;

  const call = async <T>(endpoint: string, body: object): Promise<T> => {
    if (setups.size > 0) await Promise.all([...setups]);
    try {
      return await (await client()).call<T>('store', `Store.${endpoint}`, body, { timeout });
    } catch (err) {
      throw explain(toMicroError(err, STORE_ID), where);
    }
  };
  const ns = (o: object | undefined) => checkNamespace(o, database);
  const entries = (list: (Entry | null)[]): (Entry | undefined)[] =>
    list.map((e) => e ?? undefined);

  return {
    name: 'micro',
    address,
    async get(key, o) {
      const r = await call<{ entry?: Entry }>('Get', { key: checkKey(key), ...ns(o) });
      return r.entry;
    },
    async put(key, value, o) {
      const { json: _json, ...put } = checkPut(key, value, o);
      return (await call<{ entry: Entry }>('Put', { ...put, value, ...ns(o) })).entry;
    },
    async delete(key, o) {
      return (await call<{ deleted: boolean }>('Delete', { ...checkDelete(key, o), ...ns(o) }))
        .deleted;
    },
    async list(o) {
      return call('List', { ...checkList(o), ...ns(o) });
    },
    async getMany(keys, o) {
      const r = await call<{ entries: (Entry | null)[] }>('GetMany', {
        keys: checkKeys(keys),
        ...ns(o),
      });
      return entries(r.entries);
    },
    async transact(operations, o) {
      checkOperations(operations);
      const r = await call<{ entries: (Entry | null)[] }>('Transact', { operations, ...ns(o) });
      return entries(r.entries);
    },
    watch(o): StoreWatcher {
      const request = { ...checkWatch(o), ...ns(o) };
      let stream: { close(): void } | undefined;
      const channel = new Channel<StoreEvent>(() => {
        channels.delete(channel);
        stream?.close();
      }, WATCH_BACKLOG);
      channels.add(channel);
      let placed!: () => void;
      const setup = new Promise<void>((resolve) => (placed = resolve));
      setups.add(setup);
      void setup.finally(() => setups.delete(setup));
      void (async () => {
        for (let attempt = 0; !channel.closed; attempt++) {
          try {
            const s = await (
              await client()
            ).stream<object, StoreEvent | { ready: true }>('store', 'Store.Watch');
            stream = s;
            if (channel.closed) return s.close();
            s.send(request);
            s.end();
            for await (const m of s) {
              if ('ready' in m) {
                placed();
                attempt = 0;
              } else channel.push(m);
            }
          } catch (err) {
            // A refused request will be refused again: the watch ends.
            if (err instanceof MicroError && err.code === 400) break;
          }
          // Writes wait for the first try only: a control plane that is down does not block them.
          placed();
          if (!channel.closed)
            await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 5000)));
        }
      })().finally(() => {
        placed();
        channel.close();
      });
      return {
        stop: () => channel.close(),
        [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator](),
      };
    },
    async namespaces() {
      return (await call<{ namespaces: { database: string; table: string }[] }>('Namespaces', {}))
        .namespaces;
    },
    async close() {
      for (const c of [...channels]) c.close();
      if (own) await (await own).close();
    },
  };
}

/**
 * A runtime client that finds services in the control plane's registry at `address`, calling as
 * `name` (the events' and the db's clients use it too).
 */
export async function connect(address: string, name?: string): Promise<Client> {
  const [{ createClient }, { createMicroRegistry }, { createTcpTransport }] = await Promise.all([
    import('../../runtime/client/rpc-client.ts'),
    import('../../registry/micro.ts'),
    import('../../runtime/transport/tcp/index.ts'),
  ]);
  const registry = createMicroRegistry({ address });
  const client = createClient({ registry, transport: createTcpTransport(), name });
  const close = client.close.bind(client);
  // The client closes what it made itself; the registry given to it is closed here.
  client.close = async () => {
    await close();
    await registry.close();
  };
  return client;
}

/** The store's own errors as they were raised; failures to reach it say where and what to do. */
function explain(err: MicroError, where: string): MicroError {
  if (err.id === STORE_ID || err.code < 404 || err.code === 409) return err;
  // The registry's own error already says where it looked and what to do.
  const hint = /micro run/.test(err.detail)
    ? ''
    : '; start the control plane with "micro run", or set MICRO_STORE and MICRO_STORE_ADDRESS';
  return new MicroError(
    STORE_ID,
    err.code === 404 ? 503 : err.code,
    `no answer from ${where} (${err.detail})${hint}`,
  );
}

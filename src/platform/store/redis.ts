// The store in Redis (6.2 or later), for ONE Redis server: no cluster (the scripts touch keys
// they compute), and replicas or Sentinel fail-over may lose the last acknowledged writes.
//
// Guarantees: what the server's persistence gives (appendonly for durability; none by default).
// An entry is one hash {v, r, e}; versions come from one counter, so none is handed out twice. Every
// write (put, delete, transaction) is one Lua script (redis-scripts.ts, run by EVALSHA), so its
// conditions, effects, index and watch message are atomic. A ttl is PEXPIRE (Redis never returns an
// expired key); lapsed keys leave the table's ordered index (a sorted set, as Redis has no ordered
// key listing) on the next write, listing or namespaces() of it. Watches subscribe to the table's
// channel, which the same scripts PUBLISH to: a watcher hears every write made through this store,
// in order, while its connection is up (pub/sub keeps nothing for a watcher that is away), but not
// a lapse (Redis keyspace notifications are optional server configuration; we do not need them).
import type { Redis } from 'ioredis';
import { openRedis } from '../../runtime/broker/redis/connect.ts';
import { hostPort } from '../../runtime/broker/redis/replies.ts';
import { EngineWatchers, entryOf, unreachable, watches, within, type Reach } from './engine.ts';
import { LIST, NAMESPACES, WRITE } from './redis-scripts.ts';
import type { Entry, Namespace, Store, StoreEvent, StoreOptions } from './store.ts';
import {
  checkDelete,
  checkKey,
  checkKeys,
  checkList,
  checkNamespace,
  checkOperations,
  checkPut,
  checkWatch,
  compareKeys,
  conflictOn,
  decodeCursor,
  encodeCursor,
  type CheckedOperation,
} from './validate.ts';

/** Options of the Redis store. */
export interface RedisStoreOptions extends StoreOptions {
  /** Prefix of every Redis key the store uses; `micro:store` by default. */
  prefix?: string;
}

/** The scripts, as ioredis defines them (EVALSHA, loading them when the server lacks them). */
interface Scripted {
  storeWrite(...args: (string | number)[]): Promise<(string | number)[]>;
  storeList(...args: (string | number)[]): Promise<string[]>;
  storeNamespaces(...args: string[]): Promise<string[]>;
}

/** A store in one Redis server at `address` (127.0.0.1:6379 by default); see the module comment. */
export function createRedisStore(options: RedisStoreOptions = {}): Store {
  const address = options.address ?? '127.0.0.1:6379';
  const port = /^rediss?:/.test(address) ? 6379 : hostPort(address).port;
  const reach: Reach = {
    engine: 'Redis',
    address,
    timeout: options.timeout ?? 5000,
    hint: `start redis-server (redis-server --bind 127.0.0.1 --port ${port}) or set --store-address / MICRO_STORE_ADDRESS`,
  };
  const root = `${options.prefix ?? 'micro:store'}:`;
  const watchers = new EngineWatchers();
  // Per channel: its watchers' listeners, and the SUBSCRIBE they wait for.
  const listeners = new Map<string, Set<(message: string) => void>>();
  const subscribed = new Map<string, Promise<unknown>>();

  let opened: Promise<{ c: Redis & Scripted; s: Redis }> | undefined;
  const open = (): Promise<{ c: Redis & Scripted; s: Redis }> =>
    (opened ??= openRedis(address, reach.timeout).then(
      ({ c, s }) => {
        c.defineCommand('storeWrite', { numberOfKeys: 4, lua: WRITE });
        c.defineCommand('storeList', { numberOfKeys: 3, lua: LIST });
        c.defineCommand('storeNamespaces', { numberOfKeys: 1, lua: NAMESPACES });
        s.on('message', (channel: string, message: string) => {
          for (const listen of listeners.get(channel) ?? []) listen(message);
        });
        return { c: c as Redis & Scripted, s };
      },
      (err: Error & { cause?: Error }) => {
        opened = undefined; // the next call tries again
        throw unreachable(reach, /\((.*)\); start/.exec(err.message)?.[1] ?? err.message);
      },
    ));
  const call = async <T>(fn: (c: Redis & Scripted) => Promise<T>): Promise<T> => {
    await watchers.settled();
    return within(reach, async () => fn((await open()).c));
  };

  type Place = Required<Namespace>;
  const place = (ns?: Namespace): Place => checkNamespace(ns, options.database);
  const table = (p: Place) => `${p.database}:${p.table}`;
  const keysOf = (p: Place) => [`${root}i:${table(p)}`, `${root}x:${table(p)}`];
  const entryKey = (p: Place, key: string) => `${root}e:${table(p)}:${key}`;
  const read = (key: string, v: string, r: string, e: string | null | undefined) =>
    entryOf(key, { v: v === '' ? undefined : JSON.parse(v), e: e ? Number(e) : undefined }, r);

  /** Runs operations through the write script; a failed condition is the 409 naming its key. */
  const write = (p: Place, ops: CheckedOperation[]) =>
    call(async (c) => {
      const args = ops.flatMap((o) =>
        o.op === 'put'
          ? [
              'p',
              o.key,
              o.json,
              o.ttl ?? '',
              o.ifAbsent ? 'a' : o.ifVersion ? `v${o.ifVersion}` : '',
            ]
          : ['d', o.key, '', '', o.ifVersion ? `v${o.ifVersion}` : ''],
      );
      const [i, x] = keysOf(p);
      const out = await c.storeWrite(
        ...[i!, x!, `${root}r`, `${root}n`, `${root}e:${table(p)}:`, `${root}w:${table(p)}`],
        ...[table(p), ...args],
      );
      if (out[0] === '409') throw conflictOn(ops[Number(out[1])]!.key, String(out[2]));
      const [, version, now] = out as [string, string, number];
      return { version: String(version), now: Number(now), changed: out.slice(3).map(Number) };
    });

  return {
    name: 'redis',
    address,
    async get(key, ns) {
      const p = place(ns);
      checkKey(key);
      return call(async (c) => {
        const [v, r, e] = await c.hmget(entryKey(p, key), 'v', 'r', 'e');
        return v && r ? read(key, v, r, e) : undefined;
      });
    },
    async put(key, value, o) {
      const p = place(o);
      const put = checkPut(key, value, o);
      const { version, now } = await write(p, [{ op: 'put', ...put }]);
      const expiresAt = put.ttl === undefined ? undefined : now + put.ttl;
      return entryOf(put.key, { v: JSON.parse(put.json), e: expiresAt }, version);
    },
    async delete(key, o) {
      const p = place(o);
      const { changed } = await write(p, [{ op: 'delete', ...checkDelete(key, o) }]);
      return changed[0] === 1;
    },
    async list(o) {
      const p = place(o);
      const { prefix, limit, cursor, keysOnly } = checkList(o);
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      const min =
        after !== undefined && compareKeys(after, prefix) >= 0
          ? `(${after}`
          : prefix === ''
            ? '-'
            : `[${prefix}`;
      return call(async (c) => {
        const [i, x] = keysOf(p);
        const flat = await c.storeList(
          ...[i!, x!, `${root}n`, `${root}e:${table(p)}:`, table(p), prefix, min],
          ...[limit, keysOnly ? '1' : ''],
        );
        const entries: Entry[] = [];
        for (let k = 0; k < flat.length && entries.length < limit; k += 4) {
          const e = read(flat[k]!, flat[k + 1]!, flat[k + 2]!, flat[k + 3]);
          if (keysOnly) delete e.value;
          entries.push(e);
        }
        return flat.length / 4 > limit
          ? { entries, next: encodeCursor(entries.at(-1)!.key) }
          : { entries };
      });
    },
    async getMany(keys, ns) {
      const p = place(ns);
      const wanted = checkKeys(keys);
      if (wanted.length === 0) return [];
      return call(async (c) => {
        const batch = c.pipeline();
        for (const k of wanted) batch.hmget(entryKey(p, k), 'v', 'r', 'e');
        const replies = (await batch.exec()) ?? [];
        return wanted.map((k, j) => {
          const [err, row] = replies[j] ?? [];
          if (err) throw err;
          const [v, r, e] = row as (string | null)[];
          return v && r ? read(k, v, r, e) : undefined;
        });
      });
    },
    async transact(operations, ns) {
      const p = place(ns);
      const ops = checkOperations(operations);
      if (ops.length === 0) return [];
      const { version, now } = await write(p, ops);
      return ops.map((o) =>
        o.op === 'put'
          ? entryOf(o.key, { v: JSON.parse(o.json), e: o.ttl && now + o.ttl }, version)
          : undefined,
      );
    },
    watch(o) {
      const p = place(o);
      const only = checkWatch(o);
      return watchers.watch(async (channel, onStop) => {
        const name = `${root}w:${table(p)}`;
        const listen = (message: string) => {
          const event = parseEvent(message);
          if (event && watches(only, event.key)) channel.push(event);
        };
        const set = listeners.get(name) ?? new Set();
        listeners.set(name, set);
        set.add(listen);
        onStop(() => {
          set.delete(listen);
          if (set.size > 0 || listeners.get(name) !== set) return;
          listeners.delete(name);
          subscribed.delete(name);
          void opened?.then(({ s }) => s.unsubscribe(name)).catch(() => {});
        });
        let ready = subscribed.get(name);
        if (!ready) {
          ready = within(reach, async () => (await open()).s.subscribe(name));
          subscribed.set(name, ready);
          ready.catch(() => subscribed.delete(name));
        }
        await ready;
      });
    },
    async namespaces() {
      return call(async (c) => {
        const names = await c.storeNamespaces(`${root}n`, root);
        return names
          .map((n) => {
            const [database = '', table = ''] = n.split(':');
            return { database, table };
          })
          .sort((a, b) => compareKeys(a.database, b.database) || compareKeys(a.table, b.table))
          .slice(0, 1000);
      });
    },
    async close() {
      await watchers.close();
      const o = opened;
      opened = undefined;
      if (o) {
        const { c, s } = await o.catch(() => ({ c: undefined, s: undefined }));
        c?.disconnect();
        s?.disconnect();
      }
    },
  };
}

/** A watch message of the write script as an event (see redis-scripts.ts), or undefined. */
function parseEvent(message: string): StoreEvent | undefined {
  const [action, version, key, ...json] = message.split('\0');
  if (key === undefined) return undefined;
  if (action === 'd') return { action: 'delete', key };
  return { action: 'put', key, value: JSON.parse(json.join('\0')), version: version! };
}

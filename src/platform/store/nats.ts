// The store in NATS JetStream KV (nats-server 2.9 or later, started with JetStream: -js).
//
// Guarantees: what the bucket's stream gives (file storage, one replica by default). A table is one
// KV bucket (nats-names.ts: its name encodes the database and table, its description says them);
// a key is encoded reversibly into the characters KV keys allow. A version is the entry's revision
// (the stream sequence: never handed out twice in a bucket). A conditional write reads the key,
// checks the condition, and writes with kv.create / kv.update on the revision it read, so a write
// in between makes it a 409.
//
// Limits, honestly: NATS KV has no multi-key transaction, so `transact` applies one operation (a
// put or a delete, with its condition) and refuses more with a 501 that says so; use etcd, Redis or
// the micro store for atomic batches. KV 2.9 has only a bucket-wide max age, so a ttl is kept in the
// value: an entry past it is never returned, and is deleted (on its revision) when read, which is
// when watchers hear of it; none hears of a lapse nobody read. A listing reads every key name of the
// table (at most 100,000: past that a 507) to sort them in byte order. A value, with its ttl, must
// fit the server's max_payload (1 MiB by default: a value near the store's 1 MiB limit needs it
// raised in the server's configuration).
import type { JetStreamManager, KV, NatsConnection } from 'nats';
import { natsConnection, natsServerCommand, serversOf } from '../../registry/servers.ts';
import { MicroError } from '../../runtime/errors.ts';
import { EngineWatchers, unreachable, unwrap, watches, within, type Reach } from './engine.ts';
import { bucketOf, decodeKey, descriptionOf, encodeKey, namespaceOf } from './nats-names.ts';
import { listTable, readKey } from './nats-read.ts';
import { writeOne, type Table } from './nats-write.ts';
import type { Namespace, Store, StoreOptions } from './store.ts';
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
  decodeCursor,
  STORE_ID,
} from './validate.ts';

/** Options of the NATS store. */
export interface NatsStoreOptions extends StoreOptions {
  /** More NATS servers (`host:port`) besides `address`. */
  addresses?: string[];
  /** What bucket names start with; `micro-store` by default. */
  prefix?: string;
}

/** A store in NATS JetStream KV at `address` (127.0.0.1:4222 by default); see the module comment. */
export function createNatsStore(options: NatsStoreOptions = {}): Store {
  const hosts = serversOf(options, '127.0.0.1:4222');
  const reach: Reach = {
    engine: 'NATS',
    address: hosts.join(','),
    timeout: options.timeout ?? 5000,
    hint: `start nats-server with JetStream (${natsServerCommand(hosts, true)}) or set --store-address / MICRO_STORE_ADDRESS`,
  };
  const prefix = options.prefix ?? 'micro-store';
  const watchers = new EngineWatchers();
  const buckets = new Map<string, Promise<KV | undefined>>();

  let opened: Promise<{ nc: NatsConnection; jsm: JetStreamManager }> | undefined;
  const open = () =>
    (opened ??= (async () => {
      const { connect } = await import('nats');
      const nc = await connect(natsConnection(hosts, reach.timeout, 'micro-store'));
      try {
        return { nc, jsm: await nc.jetstreamManager() };
      } catch (err) {
        await nc.close();
        throw unreachable(reach, `no JetStream there: ${(err as Error).message}`);
      }
    })().catch((err: Error) => {
      opened = undefined; // the next call tries again
      throw err instanceof MicroError ? err : unreachable(reach, err.message);
    }));
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    await watchers.settled();
    return within(reach, fn);
  };

  /** A table's bucket: made when `make`, else undefined when it does not exist yet. */
  const bucket = async (p: Required<Namespace>, make: boolean): Promise<KV | undefined> => {
    const name = bucketOf(prefix, p.database, p.table);
    const known = buckets.get(name);
    if (known) {
      const kv = await known;
      if (kv || !make) return kv;
    }
    const { nc, jsm } = await open();
    // Bound only (a read): the bucket must exist, which binding alone does not check.
    const kv = (make ? Promise.resolve() : jsm.streams.info(`KV_${name}`))
      .then(() =>
        nc.jetstream().views.kv(name, {
          history: 1,
          description: descriptionOf(p.database, p.table),
          bindOnly: !make,
        }),
      )
      .catch((err: Error) => {
        buckets.delete(name); // not there (yet), or failed: asked again next time
        if (!make && /stream not found/i.test(err.message)) return undefined;
        throw err;
      });
    buckets.set(name, kv);
    return kv;
  };
  const table = async (p: Required<Namespace>, make: boolean): Promise<Table | undefined> => {
    const kv = await bucket(p, make);
    if (!kv) return undefined;
    return {
      kv,
      maxPayload: (await open()).nc.info?.max_payload ?? 1024 * 1024,
      read: (k) => readKey(kv, k),
    };
  };
  const place = (ns?: Namespace) => checkNamespace(ns, options.database);

  return {
    name: 'nats',
    address: reach.address,
    async get(key, ns) {
      const p = place(ns);
      checkKey(key);
      return call(async () => {
        const kv = await bucket(p, false);
        return kv && (await readKey(kv, key)).entry;
      });
    },
    async put(key, value, o) {
      const p = place(o);
      const put = checkPut(key, value, o);
      return call(async () => (await writeOne(await table(p, true), { op: 'put', ...put }))!);
    },
    async delete(key, o) {
      const p = place(o);
      const del = checkDelete(key, o);
      return call(async () => {
        const t = await table(p, false);
        if (!t) return writeOne(undefined, { op: 'delete', ...del }).then(() => false);
        return (await writeOne(t, { op: 'delete', ...del })) !== undefined;
      });
    },
    async list(o) {
      const p = place(o);
      const { prefix: start, limit, cursor, keysOnly } = checkList(o);
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      return call(async () => {
        const kv = await bucket(p, false);
        return kv ? listTable(kv, { prefix: start, limit, after, keysOnly }) : { entries: [] };
      });
    },
    async getMany(keys, ns) {
      const p = place(ns);
      const wanted = checkKeys(keys);
      return call(async () => {
        const kv = await bucket(p, false);
        if (!kv) return wanted.map(() => undefined);
        return Promise.all(wanted.map(async (k) => (await readKey(kv, k)).entry));
      });
    },
    async transact(operations, ns) {
      const p = place(ns);
      const ops = checkOperations(operations);
      if (ops.length === 0) return [];
      if (ops.length > 1)
        throw new MicroError(
          STORE_ID,
          501,
          `the NATS store applies one operation per transaction (NATS KV has no multi-key transaction); this one has ${ops.length}: use etcd, Redis or the micro store for atomic batches`,
        );
      const op = ops[0]!;
      return call(async () => {
        const t = await table(p, op.op === 'put');
        return [await writeOne(t, op).then((e) => (op.op === 'put' ? e : undefined))];
      });
    },
    watch(o) {
      const p = place(o);
      const only = checkWatch(o);
      return watchers.watch(async (channel, onStop) => {
        const it = await within(reach, async () => {
          const kv = (await bucket(p, true))!;
          const { KvWatchInclude } = await import('nats');
          return kv.watch({
            key: only.key === undefined ? '>' : encodeKey(only.key),
            include: KvWatchInclude.UpdatesOnly,
          });
        });
        onStop(() => it.stop());
        void (async () => {
          for await (const e of it) {
            const key = decodeKey(e.key);
            if (key === undefined || !watches(only, key)) continue;
            if (e.operation !== 'PUT') channel.push({ action: 'delete', key });
            else {
              const s = unwrap(e.string());
              if (s) channel.push({ action: 'put', key, value: s.v, version: String(e.revision) });
            }
          }
          channel.close();
        })().catch(() => channel.close());
      });
    },
    async namespaces() {
      return call(async () => {
        const { jsm } = await open();
        const found: Required<Namespace>[] = [];
        for await (const info of jsm.streams.list()) {
          const ns = namespaceOf(info.config.description);
          if (!ns || !info.config.name.startsWith(`KV_${prefix}_`) || info.state.messages === 0)
            continue;
          // A table holds keys when one of its entries is live (lapsed ones are deleted on the way).
          const kv = (await bucket(ns, false))!;
          const names = await kv.keys();
          try {
            for await (const name of names) {
              const key = decodeKey(name);
              if (key !== undefined && (await readKey(kv, key)).entry) {
                found.push(ns);
                break;
              }
            }
          } finally {
            names.stop();
          }
        }
        return found
          .sort((a, b) => compareKeys(a.database, b.database) || compareKeys(a.table, b.table))
          .slice(0, 1000);
      });
    },
    async close() {
      await watchers.close();
      const o = opened;
      opened = undefined;
      buckets.clear();
      if (o) await (await o.catch(() => undefined))?.nc.close();
    },
  };
}

// The store in etcd (v3 API): one etcd key per entry, versions are etcd revisions.
//
// Guarantees: what etcd gives (a write acknowledged by a quorum is durable; reads are linearizable).
// A key lives at `<prefix>/<database>/<table>/<key>` (prefix `/micro/store`), holding JSON
// `{"v": value, "e": expiresAt}`; its version is the key's mod_revision. A conditional write or a
// transaction reads the keys it names, checks the conditions, and commits one etcd transaction that
// compares each key's revision with what it read, so nothing changed in between or nothing is
// written (a 409). A ttl is an etcd lease of whole seconds (a second more than the ttl, so it never
// ends early); an entry past its expiry is never returned, and the lease removes it within a
// second after (watchers then see its delete). Watches are etcd watches of the namespace.
//
// Limits: a transaction names at most `maxTxnOps` keys (etcd's --max-txn-ops, 128 by default; more
// is a 400 saying so); etcd's request size (--max-request-bytes, 1.5 MiB by default) bounds a value.
import { etcdLink } from '../../registry/etcd-link.ts';
import type { Etcd3, IKeyValue } from 'etcd3';
import { etcdCommand, serversOf } from '../../registry/servers.ts';
import { EngineWatchers, entryOf, unwrap, watches, within, wrap, type Reach } from './engine.ts';
import { commit, lease, readKeys, type EtcdTable } from './etcd-txn.ts';
import type { Entry, Namespace, Store, StoreOptions } from './store.ts';
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
  encodeCursor,
} from './validate.ts';
/** Options of the etcd store. */
export interface EtcdStoreOptions extends StoreOptions {
  /** More etcd servers (`host:port`) besides `address`. */
  addresses?: string[];
  /** Key prefix every entry lives under; `/micro/store` by default. */
  prefix?: string;
  /** The most keys one transaction may name: the server's --max-txn-ops (128 by default). */
  maxTxnOps?: number;
}

/** A store in etcd at `address` (127.0.0.1:2379 by default); see the module comment. */
export function createEtcdStore(options: EtcdStoreOptions = {}): Store {
  const hosts = serversOf(options, '127.0.0.1:2379');
  const reach: Reach = {
    engine: 'etcd',
    address: hosts.join(','),
    timeout: options.timeout ?? 5000,
    hint: `start etcd (${etcdCommand(hosts)}) or set --store-address / MICRO_STORE_ADDRESS`,
  };
  const root = `${(options.prefix ?? '/micro/store').replace(/\/+$/, '')}/`;
  const maxTxnOps = options.maxTxnOps ?? 128;
  const watchers = new EngineWatchers();

  // Calls are bounded and worded by `within` (engine.ts), as the other engines' are.
  const link = etcdLink({
    hosts,
    timeout: reach.timeout,
    passes: () => true,
    unreachable: (why) => new Error(why),
  });
  const etcd = link.client;
  const call = async <T>(fn: (c: Etcd3) => Promise<T>): Promise<T> => {
    await watchers.settled();
    return within(reach, async () => fn(await etcd()));
  };

  type Place = Required<Namespace>;
  const base = (p: Place): string => `${root}${p.database}/${p.table}/`;
  const full = (p: Place, key: string): Buffer => Buffer.from(base(p) + key);
  const place = (ns?: Namespace): Place => checkNamespace(ns, options.database);
  /** The entry an etcd key holds (undefined when expired or not ours). */
  const read = (p: Place, kv: IKeyValue, keysOnly = false): Entry | undefined => {
    const s = unwrap(kv.value.toString());
    const key = kv.key.subarray(Buffer.byteLength(base(p))).toString();
    return s && entryOf(key, s, String(kv.mod_revision), keysOnly);
  };

  const table = (c: Etcd3, p: Place): EtcdTable => ({
    c,
    maxTxnOps,
    full: (key) => full(p, key),
    read: (kv) => read(p, kv),
  });

  return {
    name: 'etcd',
    address: reach.address,
    async get(key, ns) {
      const p = place(ns);
      checkKey(key);
      return call(async (c) => {
        const kv = (await c.kv.range({ key: full(p, key) })).kvs[0];
        return kv && read(p, kv);
      });
    },
    async put(key, value, o) {
      const p = place(o);
      const put = checkPut(key, value, o);
      return call(async (c) => {
        if (put.ifVersion !== undefined || put.ifAbsent)
          return (await commit(table(c, p), [{ op: 'put', ...put }]))[0]!;
        const expiresAt = put.ttl === undefined ? undefined : Date.now() + put.ttl;
        const res = await c.kv.put({
          key: full(p, key),
          value: Buffer.from(wrap(put.json, expiresAt)),
          lease: put.ttl === undefined ? undefined : await lease(c, put.ttl),
        });
        return entryOf(
          put.key,
          { v: JSON.parse(put.json), e: expiresAt },
          String(res.header.revision),
        );
      });
    },
    async delete(key, o) {
      const p = place(o);
      const del = checkDelete(key, o);
      return call(async (c) => {
        if (del.ifVersion !== undefined) {
          await commit(table(c, p), [{ op: 'delete', ...del }]);
          return true;
        }
        const res = await c.kv.deleteRange({ key: full(p, del.key), prev_kv: true });
        const prev = res.prev_kvs[0];
        return prev !== undefined && read(p, prev) !== undefined;
      });
    },
    async list(o) {
      const p = place(o);
      const { prefix, limit, cursor, keysOnly } = checkList(o);
      const start = Buffer.from(base(p) + prefix);
      const end = rangeEnd(start);
      let from: Buffer = start;
      if (cursor !== undefined) {
        const after = Buffer.from(`${base(p)}${decodeCursor(cursor)}\0`);
        if (Buffer.compare(after, from) > 0) from = after;
      }
      return call(async (c) => {
        const entries: Entry[] = [];
        // Entries past their expiry (their lease not yet run out) are skipped: read on.
        for (let round = 0; round < 100; round++) {
          const res = await c.kv.range({ key: from, range_end: end, limit: limit + 1 });
          for (const kv of res.kvs) {
            const e = read(p, kv, keysOnly);
            if (e && entries.length === limit)
              return { entries, next: encodeCursor(entries.at(-1)!.key) };
            if (e) entries.push(e);
            from = Buffer.concat([kv.key, Buffer.from([0])]);
          }
          if (!res.more) break;
        }
        return { entries };
      });
    },
    async getMany(keys, ns) {
      const p = place(ns);
      const wanted = checkKeys(keys);
      return call(async (c) => {
        const now = await readKeys(table(c, p), [...new Set(wanted)]);
        return wanted.map((k) => now.get(k)?.entry);
      });
    },
    async transact(operations, ns) {
      const p = place(ns);
      const ops = checkOperations(operations);
      if (ops.length === 0) return [];
      return call((c) => commit(table(c, p), ops));
    },
    watch(o) {
      const p = place(o);
      const only = checkWatch(o);
      return watchers.watch(async (channel, onStop) => {
        const w = await within(reach, async () => {
          const b = (await etcd()).watch();
          const at = Buffer.from(base(p) + (only.key ?? only.prefix ?? ''));
          return (only.key === undefined ? b.prefix(at) : b.key(at)).create();
        });
        const keyOf = (kv: IKeyValue) => kv.key.subarray(Buffer.byteLength(base(p))).toString();
        w.on('put', (kv) => {
          const e = read(p, kv);
          if (e && watches(only, e.key))
            channel.push({ action: 'put', key: e.key, value: e.value, version: e.version });
        });
        w.on('delete', (kv) => {
          if (watches(only, keyOf(kv))) channel.push({ action: 'delete', key: keyOf(kv) });
        });
        // etcd3 re-establishes a broken watch itself; an error without a listener would throw.
        w.on('error', () => {});
        onStop(() => void w.cancel().catch(() => {}));
      });
    },
    async namespaces() {
      // A skip-scan: one keys-only read of one key per namespace, jumping past the rest of it.
      return call(async (c) => {
        const out: Required<Namespace>[] = [];
        let from: Buffer = Buffer.from(root);
        const end = rangeEnd(from);
        while (out.length < 1000) {
          const [kv] = (await c.kv.range({ key: from, range_end: end, limit: 1, keys_only: true }))
            .kvs;
          if (!kv) break;
          const [database, table] = kv.key.subarray(Buffer.byteLength(root)).toString().split('/');
          if (database && table) out.push({ database, table });
          from =
            database && table
              ? rangeEnd(Buffer.from(`${root}${database}/${table}/`))
              : Buffer.concat([kv.key, Buffer.from([0])]); // not ours: step over it
        }
        return out.sort(
          (a, b) => compareKeys(a.database, b.database) || compareKeys(a.table, b.table),
        );
      });
    },
    async close() {
      await watchers.close();
      await link.close();
    },
  };
}

/** The first key after every key that starts with `prefix` (etcd's range_end for a prefix). */
function rangeEnd(prefix: Buffer): Buffer<ArrayBufferLike> {
  const end: Buffer = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

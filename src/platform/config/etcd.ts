// Config in etcd, shared by every process that points at the same cluster. Keys, under the prefix
// (`/micro/config` by default) and the percent-encoded namespace: `rev` (the latest version
// number), `head` ({version, tree}), `schema`, and `v/<version, 12 digits>` (the record, the change
// and, at snapshots, the whole tree: see log.ts). A change is one etcd transaction guarded by
// `rev` still holding the version it was computed from, so concurrent changes from any number of
// processes each get their own version and none is lost. Watches are etcd watches on `v/`, so a
// watcher sees changes made by every process. Durability and consistency are etcd's (raft).
// etcd3 (gRPC, protobufs) is loaded on first use.
//
// Limit: one change is one etcd request holding the change, the new tree and, at a snapshot, the
// tree again; etcd refuses requests over --max-request-bytes (1.5 MiB by default), so trees past
// about 500 KiB need that raised on the etcd side (CONFIG_LIMITS.treeBytes is 1 MiB). namespaces()
// reads every key under the prefix.

import type { Etcd3 } from 'etcd3';
import { etcdLink } from '../../registry/etcd-link.ts';
import { etcdCommand, serversOf } from '../../registry/servers.ts';
import { MicroError, serviceUnavailable } from '../../runtime/errors.ts';
import type { Config, ConfigOptions } from './config.ts';
import { isSnapshot, keptFrom, replay, SNAPSHOT_EVERY, type ConfigLog, type Entry } from './log.ts';
import { CONFIG_ID, type Tree } from './tree.ts';
import { createVersionedConfig } from './versioned.ts';

/** Options of the etcd config. */
export interface EtcdConfigOptions extends ConfigOptions {
  /** More `host:port` servers of the cluster, besides `address`. */
  addresses?: string[];
  /** Key prefix every namespace lives under; `/micro/config` by default. */
  prefix?: string;
}

/** One version as stored under `v/`. */
interface Stored extends Entry {
  snapshot?: Tree;
}

const pad = (v: number): string => String(v).padStart(12, '0');

/** A config stored in etcd (127.0.0.1:2379 by default). */
export function createEtcdConfig(options: EtcdConfigOptions = {}): Config {
  const hosts = serversOf(options, '127.0.0.1:2379');
  const address = hosts.join(',');
  const timeout = options.timeout ?? 5000;
  const prefix = (options.prefix ?? '/micro/config').replace(/\/+$/, '');
  const where = `etcd at ${address}`;
  const hint = `start etcd (${etcdCommand(hosts)}) or set --config-address / MICRO_CONFIG_ADDRESS`;
  const link = etcdLink({
    hosts,
    timeout,
    passes: (err) => err instanceof MicroError,
    unreachable: (why) =>
      serviceUnavailable(CONFIG_ID, `no answer from ${where} (${why}); ${hint}`),
  });
  const call = link.call;

  const base = (ns: string) => `${prefix}/${encodeURIComponent(ns)}/`;
  const key = {
    rev: (ns: string) => `${base(ns)}rev`,
    head: (ns: string) => `${base(ns)}head`,
    schema: (ns: string) => `${base(ns)}schema`,
    versions: (ns: string) => `${base(ns)}v/`,
    version: (ns: string, v: number) => `${base(ns)}v/${pad(v)}`,
  };
  /** Versions from..to (inclusive), oldest first. */
  const range = (c: Etcd3, ns: string, from: number, to: number) =>
    c
      .getAll()
      .inRange({ start: key.version(ns, from), end: key.version(ns, to + 1) })
      .sort('Key', 'Ascend')
      .strings();

  const log: ConfigLog = {
    name: 'etcd',
    address,
    head: (ns) =>
      call(async (c) => {
        const text = await c.get(key.head(ns)).string();
        return text
          ? (JSON.parse(text) as { version: number; tree: Tree })
          : { version: 0, tree: {} };
      }),
    append: (ns, expected, entry, tree) =>
      call(async (c) => {
        const { version } = entry.record;
        const stored: Stored = isSnapshot(entry) ? { ...entry, snapshot: tree } : entry;
        const guard =
          expected === 0
            ? c.if(key.rev(ns), 'Version', '==', 0)
            : c.if(key.rev(ns), 'Value', '==', String(expected));
        const res = await guard
          .then(
            c.put(key.rev(ns)).value(String(version)),
            c.put(key.head(ns)).value(JSON.stringify({ version, tree })),
            c.put(key.version(ns, version)).value(JSON.stringify(stored)),
          )
          .commit();
        if (!res.succeeded) return false;
        // Old versions go a block at a time; a failure here only keeps a few more for a while.
        if (version % SNAPSHOT_EVERY === 0 && keptFrom(version) > 1)
          await c
            .delete()
            .inRange({ start: key.version(ns, 0), end: key.version(ns, keptFrom(version)) })
            .exec();
        return true;
      }),
    at: (ns, version) =>
      call(async (c) => {
        const from = Math.max(1, Math.floor(version / SNAPSHOT_EVERY) * SNAPSHOT_EVERY);
        const rows = Object.values(await range(c, ns, from, version)).map(
          (t) => JSON.parse(t) as Stored,
        );
        let start = -1;
        rows.forEach((r, i) => {
          if (r.snapshot) start = i;
        });
        if (start < 0 || rows.at(-1)?.record.version !== version) return undefined;
        return replay(
          rows[start]!.snapshot!,
          rows.slice(start + 1).map((r) => r.change),
        );
      }),
    history: (ns, limit, before) =>
      call(async (c) => {
        const rows = await c
          .getAll()
          .inRange({
            start: key.version(ns, 0),
            end: key.version(ns, before ?? 10 ** 12 - 1),
          })
          .sort('Key', 'Descend')
          .limit(limit)
          .strings();
        return Object.values(rows)
          .map((t) => (JSON.parse(t) as Stored).record)
          .sort((a, b) => b.version - a.version);
      }),
    schema: (ns) =>
      call(async (c) => {
        const text = await c.get(key.schema(ns)).string();
        return text ? (JSON.parse(text) as object) : undefined;
      }),
    setSchema: (ns, schema) =>
      call(async (c) => {
        if (schema === undefined) await c.delete().key(key.schema(ns));
        else await c.put(key.schema(ns)).value(JSON.stringify(schema));
      }),
    namespaces: () =>
      call(async (c) => {
        const keys = await c.getAll().prefix(`${prefix}/`).keys();
        const names = keys
          .filter((k) => k.endsWith('/rev'))
          .map((k) => decodeURIComponent(k.slice(prefix.length + 1, -'/rev'.length)));
        return [...new Set(names)].sort();
      }),
    follow: (ns, onEntry) =>
      call(async (c) => {
        const w = await c.watch().prefix(key.versions(ns)).create();
        w.on('put', (kv) => {
          try {
            const { record, change } = JSON.parse(kv.value.toString()) as Stored;
            onEntry({ record, change });
          } catch {
            // another program's value under our prefix: not a version
          }
        });
        // etcd3 reconnects a broken watch itself; without a listener an error would crash us.
        w.on('error', () => {});
        return () => void w.cancel().catch(() => {});
      }),
    async close() {
      await link.close();
    },
  };
  return createVersionedConfig(log, options);
}

// Locks and elections in an etcd cluster, with etcd's own recipes: every lock and candidacy is a
// key bound to an etcd lease of the ttl (whole seconds, rounded up), created only if absent in a
// transaction; a renewal is a keepalive of that lease, and etcd deletes the key when the lease
// lapses. A lock's fencing token is its key's create revision (etcd's revisions only grow, across
// the cluster and its restarts); an election's leader is the candidate key with the lowest create
// revision, as in etcd's concurrency package, and its term is that revision. Linearizable as etcd
// is (a majority of its members); the holder gives up before the lease can lapse (lease.ts).
import { etcdLink } from '../../registry/etcd-link.ts';
import type { Etcd3, IKeyValue } from 'etcd3';
import { etcdCommand, serversOf } from '../../registry/servers.ts';
import { serviceUnavailable } from '../../runtime/errors.ts';
import { syncOver } from './lease.ts';
import { heldBy, notHeld, retryHeld, SYNC_ID, type SyncOps } from './ops.ts';
import type { LeaderInfo, LockInfo, Sync, SyncOptions } from './sync.ts';

/** Options of the etcd sync. */
export interface EtcdSyncOptions extends SyncOptions {
  /** More etcd members besides `address` (127.0.0.1:2379 when neither is given). */
  addresses?: string[];
  /** Where its keys live (`/micro/sync`). */
  prefix?: string;
}

interface Held {
  holder?: string;
  id?: string;
  since?: number;
}

const enc = encodeURIComponent;
const parse = (kv: IKeyValue): Held => {
  try {
    return JSON.parse(kv.value.toString()) as Held;
  } catch {
    return {};
  }
};

/** SyncOps on etcd keys and leases. */
export function etcdOps(options: EtcdSyncOptions = {}): SyncOps {
  const hosts = serversOf(options, '127.0.0.1:2379');
  const timeout = options.timeout ?? 5000;
  const prefix = (options.prefix ?? '/micro/sync').replace(/\/+$/, '');
  const where = `etcd at ${hosts.join(',')}`;
  const link = etcdLink({
    hosts,
    timeout,
    passes: (err) =>
      (err as { code?: unknown }).code === 409 || (err as { code?: unknown }).code === 404,
    unreachable: (why) =>
      serviceUnavailable(
        SYNC_ID,
        `no answer from ${where} (${why}); start etcd (${etcdCommand(hosts)}) or set MICRO_SYNC_ADDRESS`,
      ),
  });
  const call = link.call;
  const lockKey = (name: string) => `${prefix}/lock/${enc(name)}`;
  const electPrefix = (name: string) => `${prefix}/elect/${enc(name)}/`;
  const seconds = (ttl: number) => Math.max(1, Math.ceil(ttl / 1000));

  const get = async (c: Etcd3, key: string): Promise<IKeyValue | undefined> =>
    (await c.get(key).exec()).kvs[0];
  /** Keeps a lease alive once; its remaining ms, 0 when it is gone. */
  const keepalive = async (c: Etcd3, lease: string): Promise<number> => {
    const stream = await c.leaseClient.leaseKeepAlive();
    try {
      const res = await new Promise<{ TTL: string }>((resolve, reject) => {
        stream.on('data', resolve);
        stream.on('error', reject);
        stream.write({ ID: lease });
      });
      return Number(res.TTL) * 1000;
    } finally {
      stream.end();
    }
  };
  const ttlOf = async (c: Etcd3, lease: string): Promise<number> =>
    Number((await c.leaseClient.leaseTimeToLive({ ID: lease })).TTL) * 1000;
  const lockInfo = async (c: Etcd3, name: string, kv: IKeyValue): Promise<LockInfo> => ({
    name,
    holder: parse(kv).holder ?? '',
    token: Number(kv.create_revision),
    expiresAt: Date.now() + Math.max(0, await ttlOf(c, kv.lease)),
  });
  const leaderOf = (name: string, kv: IKeyValue): LeaderInfo => {
    const v = parse(kv);
    return { name, id: v.id ?? '', term: Number(kv.create_revision), since: v.since ?? 0 };
  };
  const first = async (c: Etcd3, name: string): Promise<IKeyValue | undefined> =>
    (await c.getAll().prefix(electPrefix(name)).sort('Create', 'Ascend').limit(1).exec()).kvs[0];

  const tryLock = (name: string, holder: string, ttl: number): Promise<LockInfo> =>
    call(async (c) => {
      const key = lockKey(name);
      const held = await get(c, key);
      if (held) throw heldBy(await lockInfo(c, name, held));
      const lease = (await c.leaseClient.leaseGrant({ TTL: seconds(ttl) })).ID;
      const put = c.put(key).value(JSON.stringify({ holder })).lease(lease);
      const res = await c.if(key, 'Create', '==', 0).then(put).commit();
      if (!res.succeeded) {
        await c.leaseClient.leaseRevoke({ ID: lease });
        const now = await get(c, key);
        throw heldBy(
          now ? await lockInfo(c, name, now) : { name, holder: '?', token: 0, expiresAt: 0 },
        );
      }
      return { name, holder, token: Number(res.header.revision), expiresAt: Date.now() + ttl };
    });

  return {
    lock: ({ name, holder, ttl, wait }) => retryHeld(() => tryLock(name, holder, ttl), wait, 100),
    renew: ({ name, token }) =>
      call(async (c) => {
        const kv = await get(c, lockKey(name));
        if (!kv || Number(kv.create_revision) !== token) throw notHeld(name, token);
        const left = await keepalive(c, kv.lease);
        if (left <= 0) throw notHeld(name, token);
        return { name, holder: parse(kv).holder ?? '', token, expiresAt: Date.now() + left };
      }),
    unlock: ({ name, token }) =>
      call(async (c) => {
        const key = lockKey(name);
        const kv = await get(c, key);
        if (!kv || Number(kv.create_revision) !== token) return;
        await c.if(key, 'Create', '==', token).then(c.delete().key(key)).commit();
        await c.leaseClient.leaseRevoke({ ID: kv.lease }).catch(() => undefined);
      }),
    locks: ({ prefix: p = '' }) =>
      call(async (c) => {
        const base = `${prefix}/lock/`;
        const { kvs } = await c
          .getAll()
          .prefix(`${base}${enc(p)}`)
          .exec();
        const all = await Promise.all(
          kvs.map((kv) =>
            lockInfo(c, decodeURIComponent(kv.key.toString().slice(base.length)), kv),
          ),
        );
        return all.sort((a, b) => (a.name < b.name ? -1 : 1));
      }),
    campaign: ({ name, id, ttl }) =>
      call(async (c) => {
        const key = `${electPrefix(name)}${enc(id)}`;
        const mine = await get(c, key);
        let left = mine ? await keepalive(c, mine.lease) : 0;
        if (left <= 0) {
          const lease = (await c.leaseClient.leaseGrant({ TTL: seconds(ttl) })).ID;
          const put = c.put(key).value(JSON.stringify({ id })).lease(lease);
          const res = await c.if(key, 'Create', '==', 0).then(put).commit();
          if (!res.succeeded) await c.leaseClient.leaseRevoke({ ID: lease });
          left = ttl;
        }
        const head = await first(c, name);
        if (!head) return campaignAgain();
        const leader = leaderOf(name, head);
        const leading = head.key.toString() === key;
        if (leading && !leader.since) {
          // The first campaign that finds itself leading stamps when its term began.
          leader.since = Date.now();
          const put = c
            .put(key)
            .value(JSON.stringify({ id, since: leader.since }))
            .lease(head.lease);
          await c.if(key, 'Create', '==', head.create_revision).then(put).commit();
        }
        if (leading) leader.expiresAt = Date.now() + left;
        return { leader, leading };
      }),
    resign: ({ name, id }) =>
      call(async (c) => {
        const kv = await get(c, `${electPrefix(name)}${enc(id)}`);
        if (!kv) return;
        await c.leaseClient.leaseRevoke({ ID: kv.lease }).catch(() => undefined);
        await c.delete().key(kv.key.toString());
      }),
    leader: ({ name }) =>
      call(async (c) => {
        const head = await first(c, name);
        return head && leaderOf(name, head);
      }),
    leaders: () =>
      call(async (c) => {
        const base = `${prefix}/elect/`;
        const { kvs } = await c.getAll().prefix(base).sort('Create', 'Ascend').exec();
        const byName = new Map<string, LeaderInfo>();
        for (const kv of kvs) {
          const name = decodeURIComponent(kv.key.toString().slice(base.length).split('/')[0] ?? '');
          if (!byName.has(name)) byName.set(name, leaderOf(name, kv));
        }
        return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
      }),
    candidates: ({ name }) =>
      call(async (c) => {
        const { kvs } = await c.getAll().prefix(electPrefix(name)).sort('Create', 'Ascend').exec();
        return Promise.all(
          kvs.map(async (kv) => ({
            id: parse(kv).id ?? '',
            expiresAt: Date.now() + (await ttlOf(c, kv.lease)),
          })),
        );
      }),
    close: async () => {
      await link.close();
    },
  };
}

/** The election's keys vanished between the write and the read (a lease lapsed): a 503 to retry. */
const campaignAgain = (): never => {
  throw serviceUnavailable(SYNC_ID, 'the candidacy lapsed while campaigning; campaign again');
};

/** A sync on an etcd cluster (`MICRO_SYNC=etcd`, MICRO_SYNC_ADDRESS: 127.0.0.1:2379 by default). */
export function createEtcdSync(options: EtcdSyncOptions = {}): Sync {
  const address = serversOf(options, '127.0.0.1:2379').join(',');
  return syncOver(etcdOps(options), { name: 'etcd', address, id: options.id });
}

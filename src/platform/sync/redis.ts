// Locks and elections in ONE Redis instance (Redis 7): a lock is a key set with SET NX PX, its
// fencing token from INCR on a counter per name (kept beyond the lock, so tokens keep growing while
// Redis keeps its data); renewal and release are Lua scripts that act only if the key still holds
// that token. An election is a lock per name (the leader key) that candidates try to take when it
// is free and the leader renews. This is not Redlock and not safe over a Redis failover: a replica
// promoted before it received a write may grant a lock twice. For that, use etcd.
import type { Redis } from 'ioredis';
import { hostPort } from '../../runtime/broker/redis/replies.ts';
import { serviceUnavailable } from '../../runtime/errors.ts';
import { syncOver } from './lease.ts';
import { heldBy, notHeld, retryHeld, SYNC_ID, type SyncOps } from './ops.ts';
import type { LeaderInfo, LockInfo, Sync, SyncOptions } from './sync.ts';

/** Options of the Redis sync. */
export interface RedisSyncOptions extends SyncOptions {
  /** The start of its keys (`micro:sync`). */
  prefix?: string;
}

// KEYS[1] the lock; ARGV token, then the value on success. A token that no longer holds it: nil.
const RENEW = `local v = redis.call('GET', KEYS[1])
if not v then return nil end
local d = cjson.decode(v)
if d.token ~= tonumber(ARGV[1]) then return nil end
redis.call('PEXPIRE', KEYS[1], d.ttl)
return v`;
const UNLOCK = `local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).token == tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]) end
return 1`;
// KEYS leader, term counter, candidates (a sorted set by expiry); ARGV id, ttl, now.
// Returns {leading (1|0), the leader's value, its ms left}.
const CAMPAIGN = `redis.call('ZADD', KEYS[3], tonumber(ARGV[3]) + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[2], 'GT')
if redis.call('PTTL', KEYS[3]) < 0 then redis.call('PEXPIRE', KEYS[3], ARGV[2]) end
local v = redis.call('GET', KEYS[1])
if v then
  if cjson.decode(v).id == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {1, v, tonumber(ARGV[2])}
  end
  return {0, v, redis.call('PTTL', KEYS[1])}
end
local t = redis.call('INCR', KEYS[2])
v = cjson.encode({id = ARGV[1], term = t, since = tonumber(ARGV[3])})
redis.call('SET', KEYS[1], v, 'PX', ARGV[2])
return {1, v, tonumber(ARGV[2])}`;
const RESIGN = `redis.call('ZREM', KEYS[2], ARGV[1])
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).id == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

const glob = (s: string): string => s.replace(/[*?[\]\\]/g, '\\$&');

/** SyncOps on one Redis instance. */
export function redisOps(options: RedisSyncOptions = {}): SyncOps {
  const address = options.address ?? '127.0.0.1:6379';
  const timeout = options.timeout ?? 5000;
  const p = options.prefix ?? 'micro:sync';
  let made: Promise<Redis> | undefined;
  // ioredis loads in about 90 ms: on first use, not at import.
  const redis = (): Promise<Redis> =>
    (made ??= import('ioredis').then(({ Redis }) => {
      const r = new Redis({
        ...hostPort(address),
        connectTimeout: timeout,
        commandTimeout: timeout,
        maxRetriesPerRequest: 1,
      });
      r.on('error', () => undefined); // each command reports its own failure
      return r;
    }));
  const call = async <T>(fn: (r: Redis) => Promise<T>): Promise<T> => {
    try {
      return await fn(await redis());
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 409 || code === 404) throw err;
      throw serviceUnavailable(
        SYNC_ID,
        `no answer from redis at ${address} (${(err as Error).message}); start redis-server or set MICRO_SYNC_ADDRESS`,
      );
    }
  };
  const k = {
    lock: (name: string) => `${p}:lock:${name}`,
    token: (name: string) => `${p}:token:${name}`,
    leader: (name: string) => `${p}:leader:${name}`,
    term: (name: string) => `${p}:term:${name}`,
    candidates: (name: string) => `${p}:candidates:${name}`,
  };
  const lockInfo = (name: string, value: string, left: number): LockInfo => {
    const d = JSON.parse(value) as { holder: string; token: number };
    return { name, holder: d.holder, token: d.token, expiresAt: Date.now() + Math.max(0, left) };
  };
  const leaderInfo = (name: string, value: string, left?: number): LeaderInfo => {
    const d = JSON.parse(value) as { id: string; term: number; since: number };
    const info: LeaderInfo = { name, id: d.id, term: d.term, since: d.since };
    if (left !== undefined) info.expiresAt = Date.now() + Math.max(0, left);
    return info;
  };
  /** Every key matching `prefix*`, by SCAN. */
  const scan = async (r: Redis, prefix: string): Promise<string[]> => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await r.scan(cursor, 'MATCH', `${glob(prefix)}*`, 'COUNT', 500);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    return keys.sort();
  };
  const held = async (r: Redis, name: string): Promise<never> => {
    const [[, value], [, left]] = (await r.multi().get(k.lock(name)).pttl(k.lock(name)).exec()) as [
      [null, string | null],
      [null, number],
    ];
    throw heldBy(
      value ? lockInfo(name, value, left) : { name, holder: '?', token: 0, expiresAt: 0 },
    );
  };
  const tryLock = (name: string, holder: string, ttl: number): Promise<LockInfo> =>
    call(async (r) => {
      if (await r.exists(k.lock(name))) return held(r, name);
      const token = await r.incr(k.token(name));
      const value = JSON.stringify({ holder, token, ttl });
      if ((await r.set(k.lock(name), value, 'PX', ttl, 'NX')) !== 'OK') return held(r, name);
      return { name, holder, token, expiresAt: Date.now() + ttl };
    });

  return {
    lock: ({ name, holder, ttl, wait }) => retryHeld(() => tryLock(name, holder, ttl), wait),
    renew: ({ name, token }) =>
      call(async (r) => {
        const value = (await r.eval(RENEW, 1, k.lock(name), token)) as string | null;
        if (!value) throw notHeld(name, token);
        return lockInfo(name, value, (JSON.parse(value) as { ttl: number }).ttl);
      }),
    unlock: ({ name, token }) =>
      call(async (r) => void (await r.eval(UNLOCK, 1, k.lock(name), token))),
    locks: ({ prefix = '' }) =>
      call(async (r) => {
        const keys = await scan(r, k.lock(prefix));
        const infos = await Promise.all(
          keys.map(async (key) => {
            const [value, left] = await Promise.all([r.get(key), r.pttl(key)]);
            return value ? [lockInfo(key.slice(k.lock('').length), value, left)] : [];
          }),
        );
        return infos.flat();
      }),
    campaign: ({ name, id, ttl }) =>
      call(async (r) => {
        const keys = [k.leader(name), k.term(name), k.candidates(name)];
        const [leading, value, left] = (await r.eval(
          CAMPAIGN,
          3,
          ...keys,
          id,
          ttl,
          Date.now(),
        )) as [number, string, number];
        return { leader: leaderInfo(name, value, left), leading: leading === 1 };
      }),
    resign: ({ name, id }) =>
      call(async (r) => void (await r.eval(RESIGN, 2, k.leader(name), k.candidates(name), id))),
    leader: ({ name }) =>
      call(async (r) => {
        const value = await r.get(k.leader(name));
        return value ? leaderInfo(name, value) : undefined;
      }),
    leaders: () =>
      call(async (r) => {
        const keys = await scan(r, k.leader(''));
        const values = keys.length > 0 ? await r.mget(...keys) : [];
        return keys.flatMap((key, i) => {
          const v = values[i];
          return v ? [leaderInfo(key.slice(k.leader('').length), v)] : [];
        });
      }),
    candidates: ({ name }) =>
      call(async (r) => {
        const now = Date.now();
        const flat = await r.zrangebyscore(k.candidates(name), now, '+inf', 'WITHSCORES');
        const out: { id: string; expiresAt: number }[] = [];
        for (let i = 0; i + 1 < flat.length; i += 2)
          out.push({ id: flat[i] ?? '', expiresAt: Number(flat[i + 1]) });
        return out;
      }),
    close: async () => {
      if (made) (await made).disconnect();
    },
  };
}

/** A sync on one Redis instance (`MICRO_SYNC=redis`, MICRO_SYNC_ADDRESS: 127.0.0.1:6379 by default). */
export function createRedisSync(options: RedisSyncOptions = {}): Sync {
  return syncOver(redisOps(options), {
    name: 'redis',
    address: options.address ?? '127.0.0.1:6379',
    id: options.id,
  });
}

// Opening the Redis broker's two connections (commands, and pub/sub for presence and reports).
import type { Redis, RedisOptions } from 'ioredis';
import { BrokerError, BrokerErrors } from '../broker.ts';
import { hostPort } from './replies.ts';

/** The broker's connections: `c` for commands, `s` for pub/sub. */
export interface RedisPair {
  c: Redis;
  s: Redis;
}

/**
 * Connects to Redis 6.2 or later at `address` (`host:port` or a `redis://` URL); a failure is a
 * BrokerError (not connected) saying where it tried and how to start redis-server.
 */
export async function openRedis(address: string, timeout: number): Promise<RedisPair> {
  // ioredis loads in about 90 ms: on first use, not at import.
  const { Redis } = await import('ioredis');
  let up = false;
  let why: Error | undefined;
  const opts: RedisOptions = {
    lazyConnect: true,
    connectTimeout: timeout,
    // Fail fast on the first connect; once up, reconnect with backoff like any client.
    retryStrategy: (times) => (up ? Math.min(times * 200, 2000) : null),
    // A command waits through about three seconds of reconnecting, then fails.
    maxRetriesPerRequest: 5,
  };
  const open = (): Redis => {
    const r = /^rediss?:\/\//.test(address)
      ? new Redis(address, opts)
      : new Redis({ ...opts, ...hostPort(address) });
    // Each call reports its own failure; the socket's error explains a failed connect.
    r.on('error', (e: Error) => {
      if (!up) why ??= e;
    });
    return r;
  };
  const c = open();
  const s = open();
  try {
    await c.connect();
    await s.connect();
    const version = /redis_version:(\d+)\.(\d+)/.exec(await c.info('server'));
    if (version && Number(version[1]) * 100 + Number(version[2]) < 602)
      throw new Error(`Redis ${version[1]}.${version[2]} has no XAUTOCLAIM; 6.2 is needed`);
  } catch (err) {
    c.disconnect();
    s.disconnect();
    const port = /^rediss?:/.test(address) ? 6379 : hostPort(address).port;
    throw new BrokerError(
      BrokerErrors.notConnected,
      `no Redis at ${address} (${(why ?? (err as Error)).message}); start redis-server (redis-server --bind 127.0.0.1 --port ${port})`,
      { cause: err },
    );
  }
  up = true; // from now on both reconnect when the connection drops
  return { c, s };
}

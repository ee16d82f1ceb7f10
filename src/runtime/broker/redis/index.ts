import type { Redis, RedisOptions } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  Broker,
  BrokerHandler,
  BrokerMessage,
  SubscribeOptions,
  Subscription,
} from '../broker.ts';
import { BrokerErrors, checkTopic } from '../broker.ts';
import { Reports } from '../reports.ts';
import { entries, groupsOf, headerOf, hostPort, presentGroups, type Entry } from './replies.ts';

/** Options of the Redis streams broker. */
export interface RedisBrokerOptions {
  /** `host:port` of the Redis server, or a `redis://` URL; 127.0.0.1:6379 by default. */
  address?: string;
  /** Stream key prefix: topic `t` is the stream `<prefix>.t`; `micro.broker` by default, '' for none. */
  prefix?: string;
  /** About how many messages each topic's stream keeps (XADD MAXLEN ~); 100000 by default. */
  maxLen?: number;
  /** Milliseconds a delivered message may stay unacknowledged before it is delivered again; 30000 by default. */
  redeliverAfter?: number;
  /** Milliseconds one blocking read waits; each subscription reads on a connection of its own. 5000 by default. */
  blockMs?: number;
  /** Messages one subscription handles at a time; 16 by default. */
  maxInFlight?: number;
  /** Milliseconds to connect; 5000 by default. */
  timeout?: number;
  /** Upper bound, in milliseconds, of a publish's wait for the subscribers' reports; 5000 by default. */
  ackWait?: number;
}

/** A running subscription, as disconnect() stops it. */
interface Live {
  stop(cleanup: boolean): Promise<void>;
}

const noop = (): void => undefined;
/** Groups of subscribers without a queue are named `~<created ms>-<uuid>`. */
const BROADCAST = '~';
/** A broadcast group nobody listens to any more is removed once it is this old. */
const ABANDONED_MS = 60_000;

/**
 * Publish/subscribe over Redis streams (Redis 6.2 or later). Topic `t` is the stream `<prefix>.t`,
 * capped at about `maxLen` entries; a message is one entry with the fields `header` (JSON), `body`
 * and `reply`. A queue group is a consumer group named after the queue: each message goes to one of
 * its members, and the group outlives them, so messages published while all are away wait for the
 * next member (as long as the stream keeps them). A subscriber without a queue gets a consumer group
 * of its own, starting with the messages published after it subscribed; unsubscribe removes it, and
 * one left by a crashed process is removed by the next subscriber to the topic after a minute.
 *
 * Delivery is at least once for every subscriber while it is subscribed: a message is acknowledged
 * (XACK) when the handler resolves (or by the handler's `ack()` with `autoAck: false`); one whose
 * handler fails, or whose subscriber went away without acknowledging it, stays pending in its group
 * and is delivered again, to whichever member looks first (XAUTOCLAIM), once it has been pending
 * `redeliverAfter` ms; a handler slower than that may see its message again meanwhile. A subscriber
 * without a queue has no one to take over: what it had not acknowledged when it left is lost. So is
 * a message the stream trimmed away (maxLen) before its group read or acknowledged it.
 *
 * Each subscription is present on the pub/sub channel `<stream> subscriber <group>`, which Redis
 * forgets when the connection drops. Publish resolves once the stream stored the message and one
 * member of every present group tried it once (each reports on the publisher's reply channel), or
 * after `ackWait` ms at most.
 */
export function createRedisBroker(options: RedisBrokerOptions = {}): Broker {
  const address = options.address || '127.0.0.1:6379';
  const prefix = options.prefix ?? 'micro.broker';
  const maxLen = options.maxLen ?? 100_000;
  const redeliverAfter = options.redeliverAfter ?? 30_000;
  const blockMs = Math.max(1, options.blockMs ?? 5000);
  const maxInFlight = Math.max(1, options.maxInFlight ?? 16);
  const ackWait = options.ackWait ?? 5000;
  const claimEvery = Math.max(10, Math.floor(redeliverAfter / 2));
  const id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const inbox = `${prefix || 'micro'}.reply.${randomUUID()}`;
  let cmd: Redis | undefined;
  let pubsub: Redis | undefined;
  let consumers = 0;
  /** Publishes waiting for a member of each present group to report. */
  const reports = new Reports();
  /** Presence channels of this broker's subscriptions, with how many use each. */
  const present = new Map<string, number>();
  const live = new Set<Live>();

  const streamKey = (topic: string): string => (prefix === '' ? topic : `${prefix}.${topic}`);
  const presence = (key: string): string => `${key} subscriber `;

  const ready = (): { c: Redis; s: Redis } => {
    if (!cmd || !pubsub)
      throw new Error(`${BrokerErrors.notConnected}: Redis broker at ${address} is not connected`);
    return { c: cmd, s: pubsub };
  };

  /** The groups of a stream that someone listens to now. */
  /** Removes the broadcast groups of a stream that crashed subscribers left behind. */
  const sweep = async (c: Redis, key: string): Promise<void> => {
    const groups = await groupsOf(c, key);
    const here = await presentGroups(c, presence(key), groups);
    for (const name of groups) {
      const born = Number(name.slice(1, name.indexOf('-')));
      if (name.startsWith(BROADCAST) && !here.has(name) && Date.now() - born > ABANDONED_MS)
        await c.call('XGROUP', 'DESTROY', key, name);
    }
  };

  const join = async (s: Redis, channel: string): Promise<void> => {
    const n = present.get(channel) ?? 0;
    present.set(channel, n + 1);
    if (n === 0) await s.subscribe(channel);
  };
  const leave = async (s: Redis, channel: string): Promise<void> => {
    const n = (present.get(channel) ?? 1) - 1;
    if (n > 0) return void present.set(channel, n);
    present.delete(channel);
    await s.unsubscribe(channel);
  };

  return {
    name: 'redis',
    address,
    async connect() {
      if (cmd) return;
      // ioredis loads in about 90 ms: on first use, not at import.
      const { Redis } = await import('ioredis');
      let up = false;
      let why: Error | undefined;
      const opts: RedisOptions = {
        lazyConnect: true,
        connectTimeout: options.timeout ?? 5000,
        // Fail fast on the first connect; once up, reconnect with backoff like any client.
        retryStrategy: (times) => (up ? Math.min(times * 200, 2000) : null),
        // A command waits through about three seconds of reconnecting, then fails.
        maxRetriesPerRequest: 5,
      };
      const open = (): Redis => {
        const r = /^rediss?:\/\//.test(address)
          ? new Redis(address, opts)
          : new Redis({
              ...opts,
              ...hostPort(address),
            });
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
        throw new Error(
          `${BrokerErrors.notConnected}: no Redis at ${address} (${(why ?? (err as Error)).message}); start redis-server (redis-server --bind 127.0.0.1 --port ${port})`,
          { cause: err },
        );
      }
      up = true;
      s.on('message', (channel: string, payload: string) => {
        if (channel !== inbox) return;
        const sp = payload.indexOf(' ');
        reports.report(Number(payload.slice(0, sp)), payload.slice(sp + 1));
      });
      await s.subscribe(inbox);
      cmd = c;
      pubsub = s;
    },
    async disconnect() {
      const c = cmd;
      const s = pubsub;
      cmd = undefined;
      pubsub = undefined;
      await Promise.all([...live].map((l) => l.stop(c?.status === 'ready')));
      reports.endAll();
      present.clear();
      c?.disconnect();
      s?.disconnect();
    },
    async publish(topic: string, message: BrokerMessage) {
      checkTopic(topic);
      const { c } = ready();
      const key = streamKey(topic);
      const groups = await presentGroups(c, presence(key), await groupsOf(c, key));
      const { id: n, done } = reports.expect(
        (seen) => [...groups].every((g) => seen.has(g)),
        ackWait,
      );
      const { header, body } = message;
      try {
        await c.call(
          ...['XADD', key, 'MAXLEN', '~', String(maxLen), '*', 'header', JSON.stringify(header)],
          ...['body', Buffer.from(body.buffer, body.byteOffset, body.byteLength)],
          ...['reply', `${inbox} ${n}`],
        );
      } catch (err) {
        reports.report(n, '*');
        throw err;
      }
      await done;
    },
    async subscribe(
      topic: string,
      handler: BrokerHandler,
      opts: SubscribeOptions = {},
    ): Promise<Subscription> {
      checkTopic(topic);
      const { c, s } = ready();
      const key = streamKey(topic);
      const group = opts.queue ?? `${BROADCAST}${Date.now()}-${randomUUID()}`;
      const consumer = `${id}:${++consumers}`;
      const autoAck = opts.autoAck ?? true;
      const ensureGroup = (): Promise<unknown> =>
        c.call('XGROUP', 'CREATE', key, group, '$', 'MKSTREAM').catch((e: Error) => {
          if (!e.message.includes('BUSYGROUP')) throw e;
        });
      // The group first: a publisher that sees the presence must find the group there.
      await ensureGroup();
      await sweep(c, key).catch(noop);
      const channel = presence(key) + group;
      await join(s, channel);
      const reader = c.duplicate(); // XREADGROUP BLOCK holds its connection
      reader.on('error', noop);
      const halt = new AbortController();
      const halted = new Promise((r) => halt.signal.addEventListener('abort', r));
      const inflight = new Map<string, Promise<void>>();
      let stopped = false;

      const dispatch = (e: Entry, first: boolean): void => {
        if (inflight.has(e.id)) return; // still handling it: the claim just renewed it
        const ack = async (): Promise<void> => void (await c.call('XACK', key, group, e.id));
        const reply = e.fields.get('reply')?.toString() ?? '';
        const sp = reply.lastIndexOf(' ');
        const run = Promise.resolve()
          .then(() =>
            handler({
              topic,
              message: {
                header: headerOf(e.fields.get('header')),
                body: e.fields.get('body') ?? Buffer.alloc(0),
              },
              ack,
            }),
          )
          // A failed handler leaves the message pending, for redelivery after redeliverAfter.
          .then(() => (autoAck ? ack() : undefined), noop)
          .catch(noop)
          .then(async () => {
            if (first && sp > 0)
              await c.call('PUBLISH', reply.slice(0, sp), `${reply.slice(sp + 1)} ${group}`);
          })
          .catch(noop)
          .finally(() => inflight.delete(e.id));
        inflight.set(e.id, run);
      };

      /** Takes over and handles what the group left pending longer than redeliverAfter. */
      const claim = async (): Promise<void> => {
        let cursor = '0-0';
        do {
          const room = maxInFlight - inflight.size;
          if (room <= 0 || stopped) return;
          const raw = await c.callBuffer(
            ...['XAUTOCLAIM', key, group, consumer, String(redeliverAfter), cursor],
            ...['COUNT', String(room)],
          );
          if (!Array.isArray(raw)) return;
          cursor = String(raw[0]);
          for (const e of entries(raw[1])) dispatch(e, false);
        } while (cursor !== '0-0');
      };

      const loop = (async () => {
        await reader.connect().catch(noop); // a failure shows in the first read
        let nextClaim = Date.now() + claimEvery;
        while (!stopped) {
          try {
            if (inflight.size >= maxInFlight) {
              await Promise.race([halted, ...inflight.values()]);
            } else if (Date.now() >= nextClaim) {
              await claim();
              nextClaim = Date.now() + claimEvery;
            } else {
              const raw = await reader.callBuffer(
                ...['XREADGROUP', 'GROUP', group, consumer],
                ...['COUNT', String(maxInFlight - inflight.size)],
                ...['BLOCK', String(Math.max(1, Math.min(blockMs, nextClaim - Date.now())))],
                ...['STREAMS', key, '>'],
              );
              const streams = Array.isArray(raw) ? (raw as unknown[][]) : [];
              for (const e of entries(streams[0]?.[1])) dispatch(e, true);
            }
          } catch (err) {
            if (stopped) break;
            // The group went away (the stream was deleted): make it again, from now on.
            if ((err as Error).message.includes('NOGROUP')) await ensureGroup().catch(noop);
            // Redis is away: ioredis reconnects meanwhile.
            else
              await sleep(Math.min(blockMs, 1000), undefined, { signal: halt.signal }).catch(noop);
          }
        }
      })();

      const handle: Live = {
        async stop(cleanup) {
          if (stopped) return;
          stopped = true;
          live.delete(handle);
          halt.abort();
          reader.disconnect(); // ends a blocking read at once
          await loop;
          if (!cleanup) return;
          await leave(s, channel).catch(noop);
          if (!opts.queue) await c.call('XGROUP', 'DESTROY', key, group).catch(noop);
          else {
            // A member without pending messages leaves no trace; one with some keeps them claimable.
            const mine = (await c
              .call('XPENDING', key, group, '-', '+', '1', consumer)
              .catch(() => [1])) as unknown[];
            if (mine.length === 0)
              await c.call('XGROUP', 'DELCONSUMER', key, group, consumer).catch(noop);
          }
        },
      };
      live.add(handle);
      return {
        topic,
        queue: opts.queue,
        unsubscribe: () => handle.stop(c.status === 'ready'),
      };
    },
  };
}

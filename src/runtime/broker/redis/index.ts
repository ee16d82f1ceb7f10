import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { BrokerError, BrokerErrors, checkTopic, type Broker } from '../broker.ts';
import { Reports } from '../reports.ts';
import { openRedis } from './connect.ts';
import { startGroupReader } from './group-reader.ts';
import { groupsOf, presentGroups, replyIs } from './replies.ts';

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
      throw new BrokerError(
        BrokerErrors.notConnected,
        `Redis broker at ${address} is not connected`,
      );
    return { c: cmd, s: pubsub };
  };

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
      const { c, s } = await openRedis(address, options.timeout ?? 5000);
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
    async publish(topic, message) {
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
    async subscribe(topic, handler, opts = {}) {
      checkTopic(topic);
      const { c, s } = ready();
      const key = streamKey(topic);
      const group = opts.queue ?? `${BROADCAST}${Date.now()}-${randomUUID()}`;
      const consumer = `${id}:${++consumers}`;
      const ensureGroup = (): Promise<unknown> =>
        c.call('XGROUP', 'CREATE', key, group, '$', 'MKSTREAM').catch((e: Error) => {
          if (!replyIs(e, 'BUSYGROUP')) throw e;
        });
      // The group first: a publisher that sees the presence must find the group there.
      await ensureGroup();
      await sweep(c, key).catch(noop);
      const channel = presence(key) + group;
      await join(s, channel);
      const reader = startGroupReader({
        c,
        topic,
        key,
        group,
        consumer,
        autoAck: opts.autoAck ?? true,
        handler,
        ensureGroup,
        redeliverAfter,
        blockMs,
        maxInFlight,
        claimEvery,
      });
      let stopped = false;

      const handle: Live = {
        async stop(cleanup) {
          if (stopped) return;
          stopped = true;
          live.delete(handle);
          await reader.stop();
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

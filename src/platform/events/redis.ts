// Events on Redis streams (Redis 6.2 or later), for ONE Redis server: no cluster (the scripts touch
// keys they compute), and replicas or Sentinel fail-over may lose the last acknowledged publishes.
//
// Guarantees: what the server's persistence gives (appendonly for durability; none by default). A
// topic is one stream whose entry ids are `<offset>-0`, the offset counted per topic by the publish
// script (the topic's last offset, read and written once a script), so offsets grow by one with no
// gap but where retention cut, and a range read is one XRANGE. Every publish is one Lua script
// (redis-scripts.ts): its offsets, its idempotency keys (SET with the dedupe window's expiry,
// checked first), its time (the server's clock, never less than the topic's last: times grow with
// offsets, so a start or read by time is a binary search) and its trim happen as one step, and a
// publishMany is all or none. Publishes of one tick to a topic share a script (group commit, in
// call order; 64 waiting go out at once). A group is a consumer group: new events come by
// XREADGROUP, and each member's CLAIM script takes over entries pending past the group's ackTimeout
// (or nacked, after their delay) and dead-letters those delivered maxDeliveries times (publish to
// the dead-letter topic, XACK and count, in one step; a nack at the last attempt does the same at
// once). Acknowledgements go out as one XACK per tick. A group's position is its consumer group's,
// kept by Redis; a member counts as present while it looks for events (every second at least).
//
// Limits: retention by age is applied when the topic is next written, read or listed (a trim in
// the same scripts), not by a timer. Each subscription holds a connection for its blocking reads.
// A group's new ackTimeout applies to claims once nothing is pending (until then its members push
// their own deliveries' deadlines back). deleteGroup ends this process's members; members
// elsewhere wait for the group to be made again.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { openRedis } from '../../runtime/broker/redis/connect.ts';
import { hostPort } from '../../runtime/broker/redis/replies.ts';
import {
  checkEvent,
  checkEvents,
  checkName,
  checkPrefix,
  checkRead,
  checkRetention,
  checkStart,
  pastEnd,
  checkSubscribe,
  checkTopic,
  deadLetterOf,
  type CheckedEvent,
} from './validate.ts';
import {
  EVENTS_LIMITS,
  type EventRecord,
  type Events,
  type EventSubscription,
  type GroupInfo,
  type Published,
  type StartAt,
  type TopicInfo,
} from './events.ts';
import { unreachable, within, type Reach } from './reach.ts';
import {
  recordOfEntry,
  startRedisMember,
  startRedisReader,
  type RedisLink,
  type Scripted,
} from './redis-member.ts';
import * as scripts from './redis-scripts.ts';

/** Options of the Redis events. */
export interface RedisEventsOptions {
  /** The Redis server, `host:port` or a `redis://` URL (127.0.0.1:6379 by default). */
  address?: string;
  /** Prefix of every Redis key the events use; `micro:events` by default. */
  prefix?: string;
  /** Ms a call waits for Redis at most (5,000 by default). */
  timeout?: number;
}

/** A start as the scripts take it: kind and value. */
const startArgs = (start: StartAt): [string, string] =>
  start === 'latest'
    ? ['l', '']
    : start === 'earliest'
      ? ['e', '']
      : 'offset' in start
        ? ['o', String(start.offset)]
        : ['t', String(start.time)];

const topicOf = (row: (string | number)[]): TopicInfo => {
  const [topic, first, last, count, time, maxAge, maxCount] = row;
  return {
    topic: String(topic),
    first: Number(first),
    last: Number(last),
    count: Number(count),
    lastTime: Number(time),
    retention: { maxAge: Number(maxAge), maxCount: Number(maxCount) },
  };
};

/** Events in one Redis server at `address`; see the module comment. */
export function createRedisEvents(options: RedisEventsOptions = {}): Events {
  const address = options.address ?? '127.0.0.1:6379';
  const port = /^rediss?:/.test(address) ? 6379 : hostPort(address).port;
  const reach: Reach = {
    engine: 'Redis',
    address,
    timeout: options.timeout ?? 5000,
    hint: `start redis-server (redis-server --bind 127.0.0.1 --port ${port}) or set --events-address / MICRO_EVENTS_ADDRESS`,
  };
  const root = `${options.prefix ?? 'micro:events'}:`;
  const live = new Set<EventSubscription>();
  const pokes = new Map<string, Set<() => void>>();

  let opened: Promise<Redis & Scripted> | undefined;
  const open = (): Promise<Redis & Scripted> =>
    (opened ??= openRedis(address, reach.timeout).then(
      ({ c, s }) => {
        s.disconnect(); // pub/sub is not used: subscriptions read with connections of their own
        const define = (name: string, lua: string) =>
          c.defineCommand(name, { numberOfKeys: 0, lua });
        define('evPublish', scripts.PUBLISH);
        define('evStart', scripts.START);
        define('evJoin', scripts.JOIN);
        define('evClaim', scripts.CLAIM);
        define('evNack', scripts.NACK);
        define('evRead', scripts.READ);
        define('evTopics', scripts.TOPICS);
        define('evConfigure', scripts.CONFIGURE);
        define('evGroups', scripts.GROUPS);
        define('evSeek', scripts.SEEK);
        define('evDrop', scripts.DROP);
        return c as Redis & Scripted;
      },
      (err: Error) => {
        opened = undefined; // the next call tries again
        throw unreachable(reach, /\((.*)\); start/.exec(err.message)?.[1] ?? err.message);
      },
    ));
  const call = <T>(fn: (c: Redis & Scripted) => Promise<T>): Promise<T> =>
    within(reach, async () => fn(await open()));
  const link = (c: Redis & Scripted): RedisLink => ({ c, reach, root, pokes });

  /**
   * An event's first argument to the publish script: its fresh id (36 characters), followed, when
   * it has metadata or a key, by the metadata JSON's length in bytes, ':', that JSON and the key.
   */
  const head = (e: CheckedEvent): string => {
    const id = randomUUID();
    const meta = JSON.stringify(e.metadata);
    if (meta === '{}' && e.key === undefined) return id;
    return `${id}${Buffer.byteLength(meta)}:${meta}${e.key ?? ''}`;
  };

  /** Runs the publish script for events of one topic (two arguments each, see head). */
  const send = (topic: string, args: string[]): Promise<Published[]> =>
    call(async (c) => {
      const out = await c.evPublish(root, topic, ...args);
      const time = out[0] as number;
      const published: Published[] = [];
      for (let i = 1; i < out.length; i++) {
        const line = out[i]!;
        if (typeof line === 'number') {
          published.push({
            topic,
            offset: line,
            id: args[(i - 1) * 2]!.slice(0, 36),
            time,
            duplicate: false,
          });
        } else {
          const [offset, id, at] = line.split(' ');
          published.push({
            topic,
            offset: Number(offset),
            id: id!,
            time: Number(at),
            duplicate: true,
          });
        }
      }
      return published;
    });

  // Publishes to a topic are queued and go out as one script (group commit, in call order; each
  // resolves with its own results) at the end of the event loop's turn, or as soon as EARLY events
  // wait: a turn that resolves many publishes whose callers publish again then sends several
  // scripts, pipelined on the connection, so Redis runs one while the next is gathered.
  type Part = {
    args: string[];
    n: number;
    resolve(p: Published[]): void;
    reject(e: unknown): void;
  };
  type Queue = { parts: Part[]; events: number };
  const BATCH = 1000; // events a script stores at most
  const EARLY = 64; // events that go out at once, without waiting for the turn's end
  const queued = new Map<string, Queue>();
  const sendParts = (topic: string, parts: Part[]): void => {
    const args = parts.length === 1 ? parts[0]!.args : parts.flatMap((p) => p.args);
    send(topic, args).then(
      (out) => {
        let at = 0;
        for (const p of parts) p.resolve(out.slice(at, (at += p.n)));
      },
      (err: unknown) => {
        for (const p of parts) p.reject(err);
      },
    );
  };
  const flush = () => {
    for (const [topic, q] of queued) sendParts(topic, q.parts);
    queued.clear();
  };
  const publishAll = (topic: string, checked: CheckedEvent[]): Promise<Published[]> => {
    if (checked.length === 0) return Promise.resolve([]);
    const args: string[] = [];
    for (const e of checked) args.push(head(e), e.json);
    return new Promise((resolve, reject) => {
      if (queued.size === 0) setImmediate(flush);
      let q = queued.get(topic);
      if (q && q.events + checked.length > BATCH) {
        sendParts(topic, q.parts);
        q = undefined;
      }
      if (!q) queued.set(topic, (q = { parts: [], events: 0 }));
      q.parts.push({ args, n: checked.length, resolve, reject });
      q.events += checked.length;
      if (q.events >= EARLY) {
        sendParts(topic, q.parts);
        queued.delete(topic);
      }
    });
  };

  const groupsOf = async (c: Redis & Scripted, topic: string, only = ''): Promise<GroupInfo[]> => {
    const rows = await c.evGroups(root, topic, only);
    rows.sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : String(a[0]) > String(b[0]) ? 1 : 0));
    return rows.map(([group, position, pending, lag, members, dead, opts]) => {
      const o = JSON.parse(String(opts)) as { a: number; w?: number; n: number; d: string };
      return {
        topic,
        group: String(group),
        position: Number(position),
        pending: Number(pending),
        lag: Number(lag),
        members: Number(members),
        deadLettered: Number(dead),
        ackTimeout: o.w ?? o.a,
        maxDeliveries: o.n,
        deadLetter: o.d,
      };
    });
  };

  return {
    name: 'redis',
    address,
    async publish(topic, data, o = {}) {
      checkTopic(topic);
      const [published] = await publishAll(topic, [checkEvent(data, o)]);
      return published!;
    },
    async publishMany(topic, events) {
      checkTopic(topic);
      return publishAll(topic, checkEvents(events));
    },
    async subscribe(topic, o = {}) {
      checkTopic(topic);
      const s = checkSubscribe(topic, o);
      const [kind, value] = startArgs(s.start);
      const sub = await call(async (c) => {
        if (s.group === undefined) {
          const after = await c.evStart(root, topic, kind, value);
          return startRedisReader(link(c), topic, Number(after));
        }
        const member = randomUUID();
        const ackWait = await c.evJoin(
          ...[root, topic, s.group, member, String(s.ackTimeout), String(s.maxDeliveries)],
          ...[s.deadLetter, kind, value],
        );
        const o = { ...s, group: s.group, member, ackWait: Number(ackWait) };
        return startRedisMember(link(c), topic, o, () => live.delete(sub));
      });
      live.add(sub);
      return sub;
    },
    async read(topic, o = {}) {
      checkTopic(topic);
      const r = checkRead(o);
      const arg = (n: number | undefined) => (n === undefined ? '' : String(n));
      return call(async (c) => {
        const raw = await c.evRead(
          ...[root, topic, arg(r.from), arg(r.to), arg(r.since), arg(r.until)],
          String(r.limit),
        );
        const events = raw
          .map((e) => recordOfEntry(topic, e))
          .filter((e): e is EventRecord => e !== undefined);
        if (events.length <= r.limit) return { events };
        events.length = r.limit;
        return { events, next: events.at(-1)!.offset + 1 };
      });
    },
    async topics(under) {
      const start = checkPrefix(under);
      return call(async (c) => {
        const rows = await c.evTopics(
          root,
          start ? `[${start}` : '-',
          start ? `[${start}\xff` : '+',
          '1000',
        );
        return rows.map(topicOf);
      });
    },
    async groups(topic) {
      if (topic !== undefined) checkTopic(topic);
      return call(async (c) => {
        const names = topic !== undefined ? [topic] : await c.zrange(`${root}topics`, 0, 9999);
        const found: GroupInfo[] = [];
        for (const t of names) {
          found.push(...(await groupsOf(c, t)));
          if (found.length >= 1000) break;
        }
        return found.slice(0, 1000);
      });
    },
    async seek(topic, group, start) {
      checkTopic(topic);
      checkName(group, 'group');
      const from = checkStart(start);
      const [kind, value] = startArgs(from);
      return call(async (c) => {
        const [t] = (await c.evTopics(root, `[${topic}`, `[${topic}`, '1')).map(topicOf);
        pastEnd(topic, t?.last ?? 0, from);
        // A group not there yet is made at the start, with the default options.
        if (!(await c.evSeek(root, topic, group, kind, value))) {
          const L = EVENTS_LIMITS;
          await c.evJoin(
            ...[root, topic, group, '', String(L.ackTimeout.default)],
            ...[String(L.maxDeliveries.default), deadLetterOf(topic), kind, value],
          );
        }
        for (const poke of pokes.get(`${topic} ${group}`) ?? []) poke();
        return (await groupsOf(c, topic, group))[0]!;
      });
    },
    async deleteGroup(topic, group) {
      checkTopic(topic);
      checkName(group, 'group');
      // Its members here end (as the log engines' do); members elsewhere wait for it to come back.
      for (const sub of [...live]) if (sub.topic === topic && sub.group === group) await sub.stop();
      return call(async (c) => (await c.evDrop(root, topic, group)) === 1);
    },
    async configure(topic, retention) {
      checkTopic(topic);
      const r = checkRetention(retention);
      const arg = (n: number | undefined) => (n === undefined ? '' : String(n));
      return call(async (c) =>
        topicOf(await c.evConfigure(root, topic, arg(r.maxAge), arg(r.maxCount))),
      );
    },
    async close() {
      await Promise.all([...live].map((s) => s.stop()));
      live.clear();
      const o = opened;
      opened = undefined;
      if (o) (await o.catch(() => undefined))?.disconnect();
    },
  };
}

// Events on NATS JetStream (nats-server 2.9 or later, started with JetStream: -js).
//
// Guarantees: what the streams give (file storage, one replica). A topic is one stream keeping one
// subject (jetstream-names.ts), so an offset is the stream sequence: one more per event, gaps where
// retention cut, never handed out twice. An idempotency key is the message id (Nats-Msg-Id, a hash
// of the key), and the stream's duplicate window is EVENTS_LIMITS.dedupeWindow (or the topic's
// maxAge when shorter: an event gone is no longer a duplicate). A group is a durable pull consumer
// (ack_wait = ackTimeout), so its position is the consumer's ack floor and outlives every member; a
// member fetches no more than its free room (maxInFlight less what it holds unacknowledged). A
// delivery whose count passes maxDeliveries (or a nack at the last) is published to the dead-letter
// topic (with micro-dead-* metadata and a message id of its own, so a retry is stored once) and
// then terminated; the group's dead-letter count is kept in a KV bucket `<prefix>-groups`.
//
// Limits, honestly: NATS 2.9 has no atomic batch, so publishMany checks every event first and then
// publishes them in order (pipelined): a failure midway leaves the ones before it stored (a retry
// with keys stores each once). An event's time is stamped by the publishing process (never less than
// the last it stamped on the topic), and reads and starts by time search it assuming times grow with
// offsets, which holds for one publisher and within clock skew for several. A message with its
// envelope must fit the server's max_payload (1 MiB by default). Retention is the stream's
// max_age / max_msgs, applied by the server at once. Members of a group are not counted (0).
import { randomUUID } from 'node:crypto';
import type { JetStreamClient, JetStreamManager, KV, NatsConnection, StreamInfo } from 'nats';
import { natsConnection, natsServerCommand, serversOf } from '../../registry/servers.ts';
import { MicroError, notFound } from '../../runtime/errors.ts';
import {
  checkEvents,
  checkGroup,
  checkPrefix,
  checkRead,
  checkRetention,
  checkStart,
  checkSubscribe,
  checkTopic,
  type CheckedEvent,
} from './engine-input.ts';
import {
  EVENTS_LIMITS,
  type EventRecord,
  type Events,
  type EventSubscription,
  type GroupInfo,
  type Published,
  type Retention,
  type StartAt,
  type TopicInfo,
} from './events.ts';
import { keyId, readRange, startMember, startReader, type Link } from './jetstream-member.ts';
import {
  bodyOf,
  consumerOf,
  groupOfConsumer,
  recordOf,
  streamDescription,
  streamOf,
  subjectOf,
  topicOfStream,
} from './jetstream-names.ts';
import { unreachable, within, type Reach } from './reach.ts';

/** Options of the JetStream events. */
export interface JetStreamEventsOptions {
  /** The NATS server, `host:port` (127.0.0.1:4222 by default). */
  address?: string;
  /** More NATS servers besides `address`. */
  addresses?: string[];
  /** What stream names and subjects start with; `micro-events` by default. */
  prefix?: string;
  /** Ms a call waits for NATS at most (5,000 by default). */
  timeout?: number;
}

/** The direct get of nats.js's JetStream manager (there, but not in its exported interface). */
type Direct = JetStreamManager & {
  direct: {
    getMessage(
      stream: string,
      query: { seq: number; next_by_subj: string },
    ): Promise<{ seq: number; data: Uint8Array }>;
  };
};

const nanos = (ms: number): number => ms * 1_000_000;
const missingThing = (err: unknown): boolean => /not found/i.test((err as Error)?.message ?? '');

/** Events on NATS JetStream at `address`; see the module comment. */
export function createJetStreamEvents(options: JetStreamEventsOptions = {}): Events {
  const hosts = serversOf(options, '127.0.0.1:4222');
  const reach: Reach = {
    engine: 'NATS',
    address: hosts.join(','),
    timeout: options.timeout ?? 5000,
    hint: `start nats-server with JetStream (${natsServerCommand(hosts, true)}) or set --events-address / MICRO_EVENTS_ADDRESS`,
  };
  const prefix = options.prefix ?? 'micro-events';
  const streams = new Map<string, Promise<StreamInfo>>();
  const stamped = new Map<string, number>();
  const live = new Set<EventSubscription>();

  type Conn = { nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager };
  let opened: Promise<Conn> | undefined;
  const open = (): Promise<Conn> =>
    (opened ??= (async () => {
      const { connect } = await import('nats');
      const nc = await connect(natsConnection(hosts, reach.timeout, 'micro-events'));
      try {
        return {
          nc,
          js: nc.jetstream({ timeout: reach.timeout }),
          jsm: await nc.jetstreamManager(),
        };
      } catch (err) {
        await nc.close();
        throw unreachable(reach, `no JetStream there: ${(err as Error).message}`);
      }
    })().catch((err: Error) => {
      opened = undefined; // the next call tries again
      throw err instanceof MicroError ? err : unreachable(reach, err.message);
    }));
  const call = <T>(fn: (c: Conn) => Promise<T>): Promise<T> =>
    within(reach, async () => fn(await open()));

  let groupsKv: Promise<KV> | undefined;
  const counts = (): Promise<KV> =>
    (groupsKv ??= open()
      .then(({ js }) => js.views.kv(`${prefix}-groups`, { history: 1 }))
      .catch((err: Error) => {
        groupsKv = undefined;
        throw err;
      }));

  /** The topic's stream, made with the default retention when missing. */
  const ensure = (topic: string): Promise<StreamInfo> => {
    const known = streams.get(topic);
    if (known) return known;
    const made = open().then(async ({ jsm }) => {
      const name = streamOf(prefix, topic);
      return jsm.streams.info(name).catch(async (err) => {
        if (!missingThing(err)) throw err;
        const { maxAge, maxCount } = EVENTS_LIMITS.retention;
        return jsm.streams
          .add({
            name,
            subjects: [subjectOf(prefix, topic)],
            description: streamDescription(topic),
            max_age: nanos(maxAge),
            max_msgs: maxCount,
            duplicate_window: nanos(Math.min(EVENTS_LIMITS.dedupeWindow, maxAge)),
            allow_direct: true,
          })
          .catch(() => jsm.streams.info(name)); // made meanwhile by another
      });
    });
    streams.set(topic, made);
    made.catch(() => streams.delete(topic));
    return made;
  };
  /** The topic's stream as it is now, or undefined when there is none. */
  const current = async (topic: string): Promise<StreamInfo | undefined> =>
    (await open()).jsm.streams.info(streamOf(prefix, topic)).catch((err) => {
      if (missingThing(err)) return undefined;
      throw err;
    });

  /** The stored event at `seq` or the first after it, if any. */
  const at = async (topic: string, seq: number): Promise<EventRecord | undefined> => {
    const { jsm } = await open();
    const sm = await (jsm as Direct).direct
      .getMessage(streamOf(prefix, topic), { seq, next_by_subj: subjectOf(prefix, topic) })
      .catch((err: Error) => {
        if (/not found/i.test(err.message)) return undefined;
        throw err;
      });
    return sm && recordOf(topic, sm.seq, sm.data);
  };
  /** The offset of the first event stored at or after `time` in [lo, hi], else hi + 1. */
  const offsetAt = async (topic: string, time: number, lo: number, hi: number) => {
    let [a, b] = [lo, hi + 1];
    while (a < b) {
      const mid = Math.floor((a + b) / 2);
      const r = await at(topic, mid);
      if (!r || r.offset > hi || r.time >= time) b = mid;
      else a = r.offset + 1;
    }
    return a;
  };
  /** The first offset a start names, on the stream as it is now. */
  const startOffset = async (topic: string, start: StartAt, info: StreamInfo) => {
    const { first_seq: first, last_seq: last } = info.state;
    if (start === 'latest') return last + 1;
    if (start === 'earliest') return Math.max(first, 1);
    if ('offset' in start) return Math.max(start.offset, 1);
    return offsetAt(topic, start.time, Math.max(first, 1), last);
  };

  const topicInfo = async (topic: string, info: StreamInfo): Promise<TopicInfo> => {
    const { messages, first_seq, last_seq } = info.state;
    const newest = messages > 0 ? await at(topic, last_seq) : undefined;
    return {
      topic,
      first: messages > 0 ? first_seq : 0,
      last: last_seq,
      count: messages,
      lastTime: newest?.time ?? 0,
      retention: {
        maxAge: Math.round(info.config.max_age / 1e6),
        maxCount: info.config.max_msgs,
      },
    };
  };
  const deadCount = async (stream: string, consumer: string): Promise<number> => {
    const e = await (await counts()).get(`${stream}.${consumer}`);
    return e && e.operation === 'PUT' ? Number(e.string()) || 0 : 0;
  };
  const groupInfo = async (topic: string, group: string): Promise<GroupInfo | undefined> => {
    const { jsm } = await open();
    const [stream, name] = [streamOf(prefix, topic), consumerOf(group)];
    const ci = await jsm.consumers.info(stream, name).catch((err) => {
      if (missingThing(err)) return undefined;
      throw err;
    });
    const note = groupOfConsumer(ci?.config.description);
    if (!ci || !note) return undefined;
    return {
      topic,
      group,
      position: ci.ack_floor.stream_seq,
      pending: ci.num_ack_pending,
      lag: ci.num_pending + ci.num_ack_pending,
      members: 0,
      deadLettered: await deadCount(stream, name),
      ackTimeout: Math.round(ci.config.ack_wait! / 1e6),
      maxDeliveries: note.maxDeliveries,
      deadLetter: note.deadLetter,
    };
  };

  const publishAll = async (
    topic: string,
    checked: (CheckedEvent & { msgId?: string })[],
  ): Promise<Published[]> => {
    if (checked.length === 0) return [];
    return call(async ({ js, nc }) => {
      await ensure(topic);
      const time = Math.max(Date.now(), stamped.get(topic) ?? 0);
      stamped.set(topic, time);
      const max = nc.info?.max_payload ?? 1024 * 1024;
      const sent = checked.map((e) => ({ id: randomUUID(), e, body: '' }));
      for (const s of sent) {
        s.body = bodyOf(s.e, s.id, time);
        if (Buffer.byteLength(s.body) > max)
          throw new MicroError(
            'events',
            413,
            `the event's data and metadata take ${Buffer.byteLength(s.body)} bytes, past this NATS server's max_payload (${max}); raise max_payload in its configuration`,
          );
      }
      const send = () =>
        Promise.all(
          sent.map((s) =>
            js.publish(subjectOf(prefix, topic), s.body, {
              ...(s.e.msgId !== undefined
                ? { msgID: s.e.msgId }
                : s.e.key !== undefined && { msgID: keyId(s.e.key) }),
            }),
          ),
        );
      // The stream may have been deleted under us: made again once.
      const acks = await send().catch(async (err: Error) => {
        if (!/no responders|no stream/i.test(err.message)) throw err;
        streams.delete(topic);
        await ensure(topic);
        return send();
      });
      return Promise.all(
        acks.map(async (ack, i): Promise<Published> => {
          if (!ack.duplicate)
            return { topic, offset: ack.seq, id: sent[i]!.id, time, duplicate: false };
          const first = await at(topic, ack.seq);
          return {
            topic,
            offset: ack.seq,
            id: first?.id ?? sent[i]!.id,
            time: first?.time ?? time,
            duplicate: true,
          };
        }),
      );
    });
  };

  /** The link members and readers use back to the engine. */
  const link = (c: Conn): Link => ({
    js: c.js,
    reach,
    prefix,
    deadLetter: async (record, group, attempts, deadLetter) => {
      const [published] = await publishAll(deadLetter, [
        {
          json: JSON.stringify(record.data),
          ...(record.key !== undefined && { key: record.key }),
          msgId: `d:${streamOf(prefix, record.topic)}:${consumerOf(group)}:${record.offset}`,
          metadata: {
            ...record.metadata,
            'micro-dead-topic': record.topic,
            'micro-dead-offset': String(record.offset),
            'micro-dead-group': group,
            'micro-dead-attempts': String(attempts),
          },
        },
      ]);
      if (published && !published.duplicate) {
        const kv = await counts();
        const key = `${streamOf(prefix, record.topic)}.${consumerOf(group)}`;
        for (let tries = 0; tries < 20; tries++) {
          const e = await kv.get(key);
          const n = e && e.operation === 'PUT' ? Number(e.string()) || 0 : 0;
          const ok = await (e ? kv.update(key, String(n + 1), e.revision) : kv.create(key, '1'))
            .then(() => true)
            .catch(() => false);
          if (ok) break;
        }
      }
    },
  });

  /** Makes or updates a group's consumer, starting a new one at `start`. */
  const ensureGroup = async (
    topic: string,
    o: {
      group: string;
      start: StartAt;
      ackTimeout: number;
      maxDeliveries: number;
      deadLetter: string;
    },
    fresh = false,
  ): Promise<void> => {
    const { jsm } = await open();
    const info = await ensure(topic);
    const [stream, name] = [streamOf(prefix, topic), consumerOf(o.group)];
    const { AckPolicy, DeliverPolicy } = await import('nats');
    const description = JSON.stringify({
      group: o.group,
      maxDeliveries: o.maxDeliveries,
      deadLetter: o.deadLetter,
    });
    const settings = {
      description,
      ack_wait: nanos(o.ackTimeout),
      max_ack_pending: 20_000,
      max_deliver: -1,
    };
    if (!fresh) {
      const ci = await jsm.consumers.info(stream, name).catch((err) => {
        if (missingThing(err)) return undefined;
        throw err;
      });
      if (ci) {
        if (ci.config.description !== description || ci.config.ack_wait !== settings.ack_wait)
          await jsm.consumers.update(stream, name, settings);
        return;
      }
    }
    const first = await startOffset(topic, o.start, (await current(topic)) ?? info);
    await jsm.consumers
      .add(stream, {
        ...settings,
        durable_name: name,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: first,
      })
      .catch(async (err: Error) => {
        // made meanwhile by another member: it keeps its position
        if (!(await jsm.consumers.info(stream, name).catch(() => undefined))) throw err;
      });
  };

  return {
    name: 'jetstream',
    address: reach.address,
    async publish(topic, data, o = {}) {
      checkTopic(topic);
      const [published] = await publishAll(topic, checkEvents([{ ...o, data }]));
      return published!;
    },
    async publishMany(topic, events) {
      checkTopic(topic);
      return publishAll(topic, checkEvents(events));
    },
    async subscribe(topic, o = {}) {
      checkTopic(topic);
      const s = checkSubscribe(topic, o);
      const sub = await call(async (c) => {
        if (s.group === undefined) {
          const info = (await current(topic)) ?? (await ensure(topic));
          return startReader(link(c), topic, await startOffset(topic, s.start, info));
        }
        await ensureGroup(topic, { ...s, group: s.group });
        return startMember(link(c), topic, { ...s, group: s.group }, () => live.delete(sub));
      });
      live.add(sub);
      return sub;
    },
    async read(topic, o = {}) {
      checkTopic(topic);
      const r = checkRead(o);
      return call(async (c) => {
        const info = await current(topic);
        if (!info || info.state.messages === 0) return { events: [] };
        const { first_seq, last_seq } = info.state;
        let from = Math.max(r.from ?? first_seq, first_seq);
        const to = Math.min(r.to ?? last_seq, last_seq);
        if (r.since !== undefined && from <= to) from = await offsetAt(topic, r.since, from, to);
        return readRange(link(c), topic, { ...r, from, to });
      });
    },
    async topics(under) {
      const start = checkPrefix(under);
      return call(async ({ jsm }) => {
        const found: TopicInfo[] = [];
        for await (const info of jsm.streams.list()) {
          const topic = topicOfStream(info.config.description);
          if (!topic?.startsWith(start) || info.config.name !== streamOf(prefix, topic)) continue;
          if (info.state.last_seq === 0 && !(await hasGroups(jsm, info.config.name))) continue;
          found.push(await topicInfo(topic, info));
        }
        return found
          .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0))
          .slice(0, 1000);
      });
    },
    async groups(topic) {
      if (topic !== undefined) checkTopic(topic);
      return call(async ({ jsm }) => {
        const found: GroupInfo[] = [];
        const names: string[] = [];
        if (topic !== undefined) names.push(topic);
        else
          for await (const info of jsm.streams.list()) {
            const t = topicOfStream(info.config.description);
            if (t && info.config.name === streamOf(prefix, t)) names.push(t);
          }
        for (const t of names.sort()) {
          const cs = await jsm.consumers
            .list(streamOf(prefix, t))
            .next()
            .catch(() => []);
          for (const ci of cs) {
            const note = groupOfConsumer(ci.config.description);
            if (!note || ci.name !== consumerOf(note.group)) continue;
            const g = await groupInfo(t, note.group);
            if (g) found.push(g);
            if (found.length >= 1000) return found;
          }
        }
        return found;
      });
    },
    async seek(topic, group, start) {
      checkTopic(topic);
      checkGroup(group);
      const at0 = checkStart(start);
      return call(async ({ jsm }) => {
        const before = await groupInfo(topic, group);
        if (!before) throw notFound('events', `no group ${group} on topic ${topic}`);
        await jsm.consumers.delete(streamOf(prefix, topic), consumerOf(group));
        await ensureGroup(topic, { ...before, start: at0 }, true);
        return (await groupInfo(topic, group))!;
      });
    },
    async deleteGroup(topic, group) {
      checkTopic(topic);
      checkGroup(group);
      return call(async ({ jsm }) => {
        const [stream, name] = [streamOf(prefix, topic), consumerOf(group)];
        const gone = await jsm.consumers.delete(stream, name).catch((err) => {
          if (missingThing(err)) return false;
          throw err;
        });
        if (gone) await (await counts()).delete(`${stream}.${name}`);
        return gone;
      });
    },
    async configure(topic, retention: Retention) {
      checkTopic(topic);
      const r = checkRetention(retention);
      return call(async ({ jsm }) => {
        const info = await ensure(topic);
        const maxAge = r.maxAge ?? Math.round(info.config.max_age / 1e6);
        const updated = await jsm.streams.update(info.config.name, {
          ...info.config,
          max_age: nanos(maxAge),
          max_msgs: r.maxCount ?? info.config.max_msgs,
          duplicate_window: nanos(Math.min(EVENTS_LIMITS.dedupeWindow, maxAge)),
        });
        streams.set(topic, Promise.resolve(updated));
        return topicInfo(topic, updated);
      });
    },
    async close() {
      await Promise.all([...live].map((s) => s.stop()));
      live.clear();
      const o = opened;
      opened = undefined;
      groupsKv = undefined;
      streams.clear();
      if (o) await (await o.catch(() => undefined))?.nc.close();
    },
  };
}

/** True when the stream has a group's durable consumer. */
async function hasGroups(jsm: JetStreamManager, stream: string): Promise<boolean> {
  const cs = await jsm.consumers
    .list(stream)
    .next()
    .catch(() => []);
  return cs.some((ci) => groupOfConsumer(ci.config.description) !== undefined);
}

// Events on NATS JetStream (nats-server 2.9 or later, started with JetStream: -js).
//
// Guarantees: what the streams give (file storage, one replica). A topic is one stream keeping one
// subject (jetstream-names.ts), so an offset is the stream sequence: one more per event, gaps where
// retention cut, never handed out twice. An idempotency key is the message id (Nats-Msg-Id, a hash
// of the key), and the stream's duplicate window is EVENTS_LIMITS.dedupeWindow (or the topic's
// maxAge when shorter: an event gone is no longer a duplicate). A group is a durable pull consumer
// (ack_wait = ackTimeout, max_deliver unlimited: dead letters are ours), so its position is the
// consumer's ack floor and outlives every member; a member fetches no more than its free room
// (maxInFlight less what it holds) and keeps its own ackTimeout on what it holds (jetstream-member.ts).
// An acknowledgement resolves once NATS has it (the acks of a tick share one flush). A delivery that
// fails its last attempt (a nack, a timeout, or a redelivery past maxDeliveries because its member
// went away) is published to the dead-letter topic (micro-dead-* metadata, a message id of its own
// so a retry is stored once), counted in the KV bucket `<prefix>-groups`, then terminated.
//
// Limits, honestly: NATS 2.9 has no atomic batch, so publishMany checks every event first and then
// publishes them in order (pipelined): a failure midway leaves the ones before it stored (a retry
// with keys stores each once). An event's time is stamped by the publishing process (never less than
// the last it stamped on the topic), and reads and starts by time search it assuming times grow with
// offsets, which holds for one publisher and within clock skew for several. A message with its
// envelope must fit the server's max_payload (1 MiB by default; past it a 413). Retention is the
// stream's max_age / max_msgs, applied by the server at once. A group's new ackTimeout reaches the
// consumer's ack_wait only once nothing is pending (NATS would apply it to pending deliveries too),
// so a member that went away meanwhile is redelivered after the previous one. Seek makes the
// consumer again (its start cannot be updated). Members are not counted (0). deleteGroup ends this
// process's members; members elsewhere wait for the group to be made again.
import { randomUUID } from 'node:crypto';
import { natsConnection, natsServerCommand, serversOf } from '../../registry/servers.ts';
import { MicroError } from '../../runtime/errors.ts';
import { EVENTS_ID } from './errors.ts';
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
  type Events,
  type EventSubscription,
  type GroupInfo,
  type Published,
  type TopicInfo,
} from './events.ts';
import { Groups } from './jetstream-groups.ts';
import { keyId, readRange, startMember, startReader, type Link } from './jetstream-member.ts';
import { bodyOf, consumerOf, streamOf, subjectOf, topicOfStream } from './jetstream-names.ts';
import { Publisher } from './jetstream-publisher.ts';
import { nanos, Streams, windowOf, type Conn } from './jetstream-streams.ts';
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
  const stamped = new Map<string, number>();
  const live = new Set<EventSubscription>();

  let opened: Promise<Conn> | undefined;
  const open = (): Promise<Conn> =>
    (opened ??= (async () => {
      const { connect, createInbox, headers } = await import('nats');
      const nc = await connect(natsConnection(hosts, reach.timeout, 'micro-events'));
      try {
        const jsm = await nc.jetstreamManager();
        const publisher = new Publisher(nc, createInbox(), headers);
        return { nc, js: nc.jetstream({ timeout: reach.timeout }), jsm, publisher };
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
  const streams = new Streams(prefix, open);
  const groups = new Groups(streams, open);

  /** Publishes in order (pipelined); a duplicate's id and time are read from the first. */
  const publishAll = async (
    topic: string,
    checked: (CheckedEvent & { msgId?: string })[],
  ): Promise<Published[]> => {
    if (checked.length === 0) return [];
    return call(async ({ nc, publisher }) => {
      await streams.ensure(topic);
      const time = Math.max(Date.now(), stamped.get(topic) ?? 0);
      stamped.set(topic, time);
      const max = nc.info?.max_payload ?? 1024 * 1024;
      const sent = checked.map((e) => {
        const id = randomUUID();
        const body = bodyOf(e, id, time);
        const bytes = Buffer.byteLength(body);
        if (bytes > max)
          throw new MicroError(
            EVENTS_ID,
            413,
            `the event's data and metadata take ${bytes} bytes, past this NATS server's max_payload (${max}); raise max_payload in its configuration`,
          );
        const msgID = e.msgId ?? (e.key === undefined ? undefined : keyId(e.key));
        return { id, body, ...(msgID !== undefined && { msgID }) };
      });
      const send = () => {
        const mark = publisher.mark;
        return Promise.all(
          sent.map((s) => publisher.publish(subjectOf(prefix, topic), s.body, s.msgID)),
        ).catch((err: unknown) => {
          publisher.forget(mark);
          throw err;
        });
      };
      // The stream may have been deleted under us: made again once.
      const acks = await send().catch(async (err: Error) => {
        if (!/no responders|no stream/i.test(err.message)) throw err;
        streams.forget(topic);
        await streams.ensure(topic);
        return send();
      });
      return Promise.all(
        acks.map(async (ack, i): Promise<Published> => {
          const mine = { topic, offset: ack.seq, id: sent[i]!.id, time, duplicate: false };
          if (!ack.duplicate) return mine;
          const first = await streams.at(topic, ack.seq);
          return { ...mine, id: first?.id ?? mine.id, time: first?.time ?? time, duplicate: true };
        }),
      );
    });
  };

  /** What members and readers use of the engine. */
  // Acknowledgements of one tick share one round trip (a PING sent after them all).
  let flushing: Promise<void> | undefined;
  const link = (c: Conn): Link => ({
    js: c.js,
    flushed: () =>
      (flushing ??= new Promise((r) => setImmediate(r)).then(() => {
        flushing = undefined;
        return within(reach, () => c.nc.flush());
      })),
    reach,
    prefix,
    deadLetter: async (record, group, reason, deadLetter) => {
      const [published] = await publishAll(deadLetter, [
        {
          json: JSON.stringify(record.data),
          // A dead letter retried (its member went away before it terminated) is stored once.
          msgId: `d:${streamOf(prefix, record.topic)}:${consumerOf(group)}:${record.offset}`,
          metadata: {
            ...record.metadata,
            'micro-dead-topic': record.topic,
            'micro-dead-offset': String(record.offset),
            'micro-dead-group': group,
            'micro-dead-reason': reason,
          },
        },
      ]);
      if (published && !published.duplicate) await groups.countDead(record.topic, group);
    },
  });

  /** The topics of our streams, in name order. */
  const ours = async ({ jsm }: Conn, under: string): Promise<string[]> => {
    const names: string[] = [];
    for await (const info of jsm.streams.list()) {
      const topic = topicOfStream(info.config.description);
      if (topic?.startsWith(under) && info.config.name === streamOf(prefix, topic))
        names.push(topic);
    }
    return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  };

  return {
    name: 'jetstream',
    address: reach.address,
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
      const sub = await call(async (c) => {
        if (s.group === undefined) {
          const info = (await streams.current(topic)) ?? (await streams.ensure(topic));
          return startReader(link(c), topic, await streams.startOffset(topic, s.start, info));
        }
        const ackWait = await groups.ensure(topic, { ...s, group: s.group });
        return startMember(link(c), topic, { ...s, group: s.group, ackWait }, () =>
          live.delete(sub),
        );
      });
      live.add(sub);
      return sub;
    },
    async read(topic, o = {}) {
      checkTopic(topic);
      const r = checkRead(o);
      return call(async (c) => {
        const info = await streams.current(topic);
        if (!info || info.state.messages === 0) return { events: [] };
        const { first_seq, last_seq } = info.state;
        let from = Math.max(r.from ?? first_seq, first_seq);
        const to = Math.min(r.to ?? last_seq, last_seq);
        if (r.since !== undefined && from <= to)
          from = await streams.offsetAt(topic, r.since, from, to);
        return readRange(link(c), topic, { ...r, from, to });
      });
    },
    async topics(under) {
      const start = checkPrefix(under);
      return call(async (c) => {
        const found: TopicInfo[] = [];
        for (const topic of await ours(c, start)) {
          const info = await streams.current(topic);
          if (!info || (info.state.last_seq === 0 && (await groups.of(topic)).length === 0))
            continue;
          found.push(await streams.info(topic, info));
          if (found.length >= 1000) break;
        }
        return found;
      });
    },
    async groups(topic) {
      if (topic !== undefined) checkTopic(topic);
      return call(async (c) => {
        const found: GroupInfo[] = [];
        for (const t of topic === undefined ? await ours(c, '') : [topic]) {
          found.push(...(await groups.of(t)));
          if (found.length >= 1000) break;
        }
        return found.slice(0, 1000);
      });
    },
    async seek(topic, group, start) {
      checkTopic(topic);
      checkName(group, 'group');
      const from = checkStart(start);
      return call(async () => {
        pastEnd(topic, (await streams.current(topic))?.state.last_seq ?? 0, from);
        // A consumer's start cannot be updated: it is made again, its members fetch from it anew.
        // A group not there yet is made, with the default options.
        const before = (await groups.info(topic, group)) ?? {
          ackTimeout: EVENTS_LIMITS.ackTimeout.default,
          maxDeliveries: EVENTS_LIMITS.maxDeliveries.default,
          deadLetter: deadLetterOf(topic),
        };
        await groups.remove(topic, group, false);
        await groups.ensure(topic, { ...before, group, start: from }, true);
        return (await groups.info(topic, group))!;
      });
    },
    async deleteGroup(topic, group) {
      checkTopic(topic);
      checkName(group, 'group');
      // Its members here end (as the log engines' do); members elsewhere wait for it to come back.
      for (const sub of [...live]) if (sub.topic === topic && sub.group === group) await sub.stop();
      return call(() => groups.remove(topic, group));
    },
    async configure(topic, retention) {
      checkTopic(topic);
      const r = checkRetention(retention);
      return call(async ({ jsm }) => {
        const info = (await streams.current(topic)) ?? (await streams.ensure(topic));
        const maxAge = r.maxAge ?? Math.round(info.config.max_age / 1e6);
        const updated = await jsm.streams.update(info.config.name, {
          ...info.config,
          max_age: nanos(maxAge),
          max_msgs: r.maxCount ?? info.config.max_msgs,
          duplicate_window: windowOf(maxAge),
        });
        streams.forget(topic, updated);
        return streams.info(topic, updated);
      });
    },
    async close() {
      await Promise.all([...live].map((s) => s.stop()));
      live.clear();
      const o = opened;
      opened = undefined;
      groups.clear();
      streams.clear();
      const c = o && (await o.catch(() => undefined));
      c?.publisher.close();
      await c?.nc.close();
    },
  };
}

// The JetStream events engine's readers: a group member (fetching from the group's durable
// consumer no more than its free room, dead-lettering what passed maxDeliveries), an ephemeral
// subscriber and a range read (ordered consumers, which NATS removes once idle).
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from 'nats';
import type { EventPage, EventRecord, EventSubscription } from './events.ts';
import { consumerOf, recordOf, streamOf } from './jetstream-names.ts';
import { checkDelay } from './validate.ts';
import { feed, within, type Reach } from './reach.ts';

/** How long a range read waits for its next event before asking whether retention dropped it. */
const QUIET_MS = 500;

/** What the readers use of the engine. */
export interface Link {
  js: JetStreamClient;
  /** Resolves once NATS has what was sent before (one round trip shared by a tick's acks). */
  flushed(): Promise<void>;
  reach: Reach;
  prefix: string;
  /** Publishes a record to its group's dead-letter topic (once, however often it is retried). */
  deadLetter(
    record: EventRecord,
    group: string,
    reason: 'timeout' | 'nack',
    topic: string,
  ): Promise<void>;
}

/** A group member's settings, checked. */
export interface MemberOptions {
  group: string;
  maxDeliveries: number;
  deadLetter: string;
  maxInFlight: number;
  ackTimeout: number;
  /** The consumer's ack_wait, ms. */
  ackWait: number;
}

/** The message id of an idempotency key (a hash: a header holds no line break). */
export function keyId(key: string): string {
  return `k:${createHash('sha256').update(key).digest('base64url')}`;
}

const noop = (): void => undefined;
const none = async (): Promise<void> => undefined;

/** One delivery a member holds: not yet acknowledged, nacked or timed out. */
interface Held {
  m: JsMsg;
  r: EventRecord;
  attempt: number;
  /** When it was delivered, and when its deadline was last pushed back (+WPI). */
  at: number;
  touched: number;
}

/**
 * Reads the group's consumer for one member; see the module comment. The member keeps its own
 * ackTimeout on what it holds, whatever the consumer's ack_wait (`s.ackWait`, which a later
 * subscription may have asked to change while deliveries were pending): past it a delivery leaves
 * the member's room and is nacked (or dead-lettered at the last attempt); before it, when the
 * consumer's ack_wait is shorter, its deadline is pushed back (+WPI).
 */
export function startMember(
  link: Link,
  topic: string,
  s: MemberOptions,
  onStop: () => void,
): EventSubscription {
  const [stream, name] = [streamOf(link.prefix, topic), consumerOf(s.group)];
  const held = new Map<number, Held>();
  let wake: (() => void) | undefined;
  let batch: ConsumerMessages | undefined;
  let stopped = false;
  const halt = new AbortController();
  const release = (seq: number): boolean => {
    if (!held.delete(seq)) return false;
    wake?.();
    wake = undefined;
    return true;
  };
  const dead = async (h: Held, reason: 'timeout' | 'nack') => {
    await link.deadLetter(h.r, s.group, reason, s.deadLetter);
    h.m.term();
  };
  const sweep = () => {
    const now = Date.now();
    for (const [seq, h] of held) {
      if (now - h.at >= s.ackTimeout) {
        release(seq);
        if (h.attempt >= s.maxDeliveries) void dead(h, 'timeout').catch(noop);
        else if (s.ackTimeout < s.ackWait) h.m.nak();
      } else if (s.ackTimeout > s.ackWait && now - h.touched >= s.ackWait / 2) {
        h.m.working();
        h.touched = now;
      }
    }
  };
  const timer = setInterval(
    sweep,
    Math.max(25, Math.min(1000, Math.floor(Math.min(s.ackTimeout, s.ackWait) / 4))),
  );
  timer.unref();

  let loop: Promise<void> = Promise.resolve();
  const { channel, subscription } = feed(topic, s.group, async () => {
    stopped = true;
    clearInterval(timer);
    halt.abort();
    batch?.stop();
    wake?.();
    await loop;
    onStop();
  });
  const deliver = async (m: JsMsg): Promise<void> => {
    const r = recordOf(topic, m.seq, m.data);
    const attempt = m.info.redeliveryCount;
    if (!r) return m.term(); // not an event of ours
    const now = Date.now();
    const h: Held = { m, r, attempt, at: now, touched: now };
    // Past its last attempt: a member that held it went away before its deadline.
    if (attempt > s.maxDeliveries) return dead(h, 'timeout').catch(noop);
    held.set(m.seq, h);
    let acked = false;
    channel.push({
      ...r,
      attempt,
      ack: async () => {
        if (acked) return;
        acked = true;
        release(m.seq);
        m.ack();
        await link.flushed();
      },
      nack: async (delay) => {
        const wait = checkDelay(delay);
        if (acked || !release(m.seq)) return;
        if (attempt >= s.maxDeliveries) await within(link.reach, () => dead(h, 'nack'));
        else m.nak(wait);
      },
    });
  };

  loop = (async () => {
    let consumer: Consumer | undefined;
    while (!stopped) {
      try {
        if (held.size >= s.maxInFlight) {
          await new Promise<void>((r) => (wake = r));
          continue;
        }
        consumer ??= await link.js.consumers.get(stream, name);
        batch = await consumer.fetch({ max_messages: s.maxInFlight - held.size, expires: 5000 });
        for await (const m of batch) {
          if (stopped) break;
          await deliver(m);
        }
      } catch {
        if (stopped) break;
        consumer = undefined; // deleted (seek makes it again) or NATS is away: look again
        await sleep(250, undefined, { signal: halt.signal }).catch(noop);
      } finally {
        batch = undefined;
      }
    }
  })();

  return subscription;
}

/** An ephemeral subscription from offset `from`: every event, nothing to acknowledge. */
export async function startReader(
  link: Link,
  topic: string,
  from: number,
): Promise<EventSubscription> {
  const { DeliverPolicy } = await import('nats');
  const oc = await link.js.consumers.get(streamOf(link.prefix, topic), {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: from,
  });
  const msgs = await oc.consume({ max_messages: 256 });
  const { channel, subscription } = feed(topic, undefined, async () => void msgs.stop());
  void (async () => {
    for await (const m of msgs) {
      const r = recordOf(topic, m.seq, m.data);
      if (r) channel.push({ ...r, attempt: 1, ack: none, nack: none });
    }
  })()
    .catch(noop)
    .finally(() => channel.close());
  return subscription;
}

/** Events `from` to `to` (stored at or before `until`), at most `limit`, with `next` when more. */
export async function readRange(
  link: Link,
  topic: string,
  r: { from: number; to: number; since?: number; until?: number; limit: number },
): Promise<EventPage> {
  if (r.from > r.to) return { events: [] };
  const { DeliverPolicy } = await import('nats');
  const stream = streamOf(link.prefix, topic);
  const oc = await link.js.consumers.get(stream, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: r.from,
  });
  const msgs = await oc.consume({ max_messages: Math.min(r.limit + 1, 1000) });
  const events: EventRecord[] = [];
  let next: number | undefined;
  // The range was read from the stream's state just before: what retention drops meanwhile never
  // arrives, and the consumer would wait for it. Quiet for a while, the read asks where the stream
  // begins now, and ends (with `next` there, when still in the range) if it passed what is awaited.
  let awaited = r.from;
  let moved = false;
  let resume: number | undefined;
  const quiet = setInterval(() => {
    if (moved) return void (moved = false);
    void link.js.streams
      .get(stream)
      .then((s) => s.info(false))
      .then(
        ({ state }) => {
          if (state.messages > 0 && state.first_seq <= awaited) return;
          resume = state.messages > 0 ? state.first_seq : undefined;
          msgs.stop();
        },
        () => undefined,
      );
  }, QUIET_MS);
  try {
    for await (const m of msgs) {
      moved = true;
      awaited = m.seq + 1;
      if (m.seq > r.to) break;
      const e = recordOf(topic, m.seq, m.data);
      if (e && r.until !== undefined && e.time > r.until) break;
      if (e && (r.since === undefined || e.time >= r.since)) {
        if (events.length === r.limit) {
          next = events.at(-1)!.offset + 1;
          break;
        }
        events.push(e);
      }
      if (m.seq >= r.to || m.info.pending === 0) break;
    }
  } finally {
    clearInterval(quiet);
    msgs.stop();
  }
  if (next === undefined && resume !== undefined && resume <= r.to) next = resume;
  return next === undefined ? { events } : { events, next };
}

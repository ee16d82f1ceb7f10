// The JetStream events engine's streams: one per topic, made on first use with the default
// retention; single events by direct get (next_by_subj); offsets by time (a binary search of the
// publishers' times, which grow with offsets); a topic's info.
import type { JetStreamClient, JetStreamManager, NatsConnection, StreamInfo } from 'nats';
import { EVENTS_LIMITS, type EventRecord, type StartAt, type TopicInfo } from './events.ts';
import { recordOf, streamDescription, streamOf, subjectOf } from './jetstream-names.ts';

/** The engine's connection. */
export interface Conn {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
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

/** Ns of ms, as JetStream takes durations. */
export const nanos = (ms: number): number => ms * 1_000_000;

/** True when NATS answered that a stream, consumer or message is not there. */
export const missingThing = (err: unknown): boolean =>
  /not found/i.test((err as Error)?.message ?? '');

/** The duplicate window of a topic kept `maxAge` ms (JetStream wants it no longer). */
export const windowOf = (maxAge: number): number =>
  nanos(Math.min(EVENTS_LIMITS.dedupeWindow, maxAge));

/** The streams of the topics, under `prefix`. */
export class Streams {
  readonly #made = new Map<string, Promise<StreamInfo>>();
  readonly #open: () => Promise<Conn>;
  readonly prefix: string;

  constructor(prefix: string, open: () => Promise<Conn>) {
    this.prefix = prefix;
    this.#open = open;
  }

  /** The topic's stream, made with the default retention when missing. */
  ensure(topic: string): Promise<StreamInfo> {
    const known = this.#made.get(topic);
    if (known) return known;
    const made = this.#open().then(async ({ jsm }) => {
      const name = streamOf(this.prefix, topic);
      return jsm.streams.info(name).catch(async (err) => {
        if (!missingThing(err)) throw err;
        const { maxAge, maxCount } = EVENTS_LIMITS.retention;
        return jsm.streams
          .add({
            name,
            subjects: [subjectOf(this.prefix, topic)],
            description: streamDescription(topic),
            max_age: nanos(maxAge),
            max_msgs: maxCount,
            duplicate_window: windowOf(maxAge),
            allow_direct: true,
          })
          .catch(() => jsm.streams.info(name)); // made meanwhile by another
      });
    });
    this.#made.set(topic, made);
    made.catch(() => this.#made.delete(topic));
    return made;
  }

  /** Forgets what is known of a topic's stream (deleted under us, or updated). */
  forget(topic: string, info?: StreamInfo): void {
    if (info) this.#made.set(topic, Promise.resolve(info));
    else this.#made.delete(topic);
  }

  /** Forgets every stream. */
  clear(): void {
    this.#made.clear();
  }

  /** The topic's stream as it is now, or undefined when there is none. */
  async current(topic: string): Promise<StreamInfo | undefined> {
    const { jsm } = await this.#open();
    return jsm.streams.info(streamOf(this.prefix, topic)).catch((err) => {
      if (missingThing(err)) return undefined;
      throw err;
    });
  }

  /** The stored event at `seq` or the first after it, if any. */
  async at(topic: string, seq: number): Promise<EventRecord | undefined> {
    const { jsm } = await this.#open();
    const sm = await (jsm as Direct).direct
      .getMessage(streamOf(this.prefix, topic), {
        seq,
        next_by_subj: subjectOf(this.prefix, topic),
      })
      .catch((err: Error) => {
        if (missingThing(err)) return undefined;
        throw err;
      });
    return sm && recordOf(topic, sm.seq, sm.data);
  }

  /** The offset of the first event stored at or after `time` in [lo, hi], else hi + 1. */
  async offsetAt(topic: string, time: number, lo: number, hi: number): Promise<number> {
    let [a, b] = [lo, hi + 1];
    while (a < b) {
      const mid = Math.floor((a + b) / 2);
      const r = await this.at(topic, mid);
      if (!r || r.offset > hi || r.time >= time) b = mid;
      else a = r.offset + 1;
    }
    return a;
  }

  /** The first offset a start names, on the stream as it is now. */
  async startOffset(topic: string, start: StartAt, info: StreamInfo): Promise<number> {
    const { first_seq: first, last_seq: last } = info.state;
    if (start === 'latest') return last + 1;
    if (start === 'earliest') return Math.max(first, 1);
    if ('offset' in start) return Math.max(start.offset, 1);
    return this.offsetAt(topic, start.time, Math.max(first, 1), last);
  }

  /** A topic's info from its stream's. */
  async info(topic: string, info: StreamInfo): Promise<TopicInfo> {
    const { messages, first_seq, last_seq } = info.state;
    const newest = messages > 0 ? await this.at(topic, last_seq) : undefined;
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
  }
}

// The JetStream events engine's groups: a durable pull consumer per group (its description keeps
// the group's options), its info, and the group's dead-letter count in a KV bucket
// `<prefix>-groups` (updated on the revision read, so counts from members at once add up).
import type { KV } from 'nats';
import type { GroupInfo, StartAt } from './events.ts';
import { consumerOf, groupOfConsumer, streamOf } from './jetstream-names.ts';
import { missingThing, nanos, type Conn, type Streams } from './jetstream-streams.ts';

/** A group's options as a subscription gives them. */
export interface GroupOptions {
  group: string;
  start: StartAt;
  ackTimeout: number;
  maxDeliveries: number;
  deadLetter: string;
}

/** The groups of the topics of `streams`. */
export class Groups {
  readonly #open: () => Promise<Conn>;
  readonly #streams: Streams;
  #kv: Promise<KV> | undefined;

  constructor(streams: Streams, open: () => Promise<Conn>) {
    this.#streams = streams;
    this.#open = open;
  }

  #counts(): Promise<KV> {
    return (this.#kv ??= this.#open()
      .then(({ js }) => js.views.kv(`${this.#streams.prefix}-groups`, { history: 1 }))
      .catch((err: Error) => {
        this.#kv = undefined;
        throw err;
      }));
  }

  #countKey(topic: string, group: string): string {
    return `${streamOf(this.#streams.prefix, topic)}.${consumerOf(group)}`;
  }

  /** A group's info, or undefined when there is no such group. */
  async info(topic: string, group: string): Promise<GroupInfo | undefined> {
    const { jsm } = await this.#open();
    const stream = streamOf(this.#streams.prefix, topic);
    const ci = await jsm.consumers.info(stream, consumerOf(group)).catch((err) => {
      if (missingThing(err)) return undefined;
      throw err;
    });
    const note = groupOfConsumer(ci?.config.description);
    if (!ci || !note) return undefined;
    const dead = await (await this.#counts()).get(this.#countKey(topic, group));
    return {
      topic,
      group,
      // A consumer that acknowledged nothing yet has a floor of 0: it is before its start.
      position: Math.max(ci.ack_floor.stream_seq, (ci.config.opt_start_seq ?? 1) - 1),
      pending: ci.num_ack_pending,
      lag: ci.num_pending + ci.num_ack_pending,
      members: 0,
      deadLettered: dead?.operation === 'PUT' ? Number(dead.string()) || 0 : 0,
      ackTimeout: note.ackTimeout ?? Math.round(ci.config.ack_wait! / 1e6),
      maxDeliveries: note.maxDeliveries,
      deadLetter: note.deadLetter,
    };
  }

  /** The groups of a topic, in name order. */
  async of(topic: string): Promise<GroupInfo[]> {
    const { jsm } = await this.#open();
    const cs = await jsm.consumers
      .list(streamOf(this.#streams.prefix, topic))
      .next()
      .catch(() => []);
    const found: GroupInfo[] = [];
    for (const ci of cs) {
      const note = groupOfConsumer(ci.config.description);
      if (!note || ci.name !== consumerOf(note.group)) continue;
      const g = await this.info(topic, note.group);
      if (g) found.push(g);
    }
    return found.sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
  }

  /**
   * Makes a group's consumer at `o.start` (again, when `fresh`), or updates an existing one's
   * options; returns the consumer's ack_wait in ms.
   */
  async ensure(topic: string, o: GroupOptions, fresh = false): Promise<number> {
    const { jsm } = await this.#open();
    const info = await this.#streams.ensure(topic);
    const [stream, name] = [streamOf(this.#streams.prefix, topic), consumerOf(o.group)];
    const { AckPolicy, DeliverPolicy } = await import('nats');
    const description = JSON.stringify({
      group: o.group,
      ackTimeout: o.ackTimeout,
      maxDeliveries: o.maxDeliveries,
      deadLetter: o.deadLetter,
    });
    const settings = {
      description,
      ack_wait: nanos(o.ackTimeout),
      // Each member holds at most its maxInFlight (it fetches no more than its room).
      max_ack_pending: 20_000,
      max_deliver: -1,
    };
    if (!fresh) {
      const ci = await jsm.consumers.info(stream, name).catch((err) => {
        if (missingThing(err)) return undefined;
        throw err;
      });
      if (ci) {
        // A new ack_wait would apply to what is pending too: it waits until nothing is (members
        // keep their own ackTimeout meanwhile).
        const ackWait = ci.num_ack_pending === 0 ? settings.ack_wait : ci.config.ack_wait!;
        if (ci.config.description !== description || ci.config.ack_wait !== ackWait)
          await jsm.consumers.update(stream, name, { ...settings, ack_wait: ackWait });
        return ackWait / 1e6;
      }
    }
    const current = (await this.#streams.current(topic)) ?? info;
    await jsm.consumers
      .add(stream, {
        ...settings,
        durable_name: name,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: await this.#streams.startOffset(topic, o.start, current),
      })
      .catch(async (err: Error) => {
        // made meanwhile by another member: it keeps its position
        if (!(await jsm.consumers.info(stream, name).catch(() => undefined))) throw err;
      });
    return o.ackTimeout;
  }

  /** Removes a group's consumer (and its count when `forget`); false when there was none. */
  async remove(topic: string, group: string, forget = true): Promise<boolean> {
    const { jsm } = await this.#open();
    const gone = await jsm.consumers
      .delete(streamOf(this.#streams.prefix, topic), consumerOf(group))
      .catch((err) => {
        if (missingThing(err)) return false;
        throw err;
      });
    if (gone && forget) await (await this.#counts()).delete(this.#countKey(topic, group));
    return gone;
  }

  /** Counts one more event the group dead-lettered. */
  async countDead(topic: string, group: string): Promise<void> {
    const kv = await this.#counts();
    const key = this.#countKey(topic, group);
    for (let tries = 0; tries < 20; tries++) {
      const e = await kv.get(key);
      const n = e?.operation === 'PUT' ? Number(e.string()) || 0 : 0;
      const put = e ? kv.update(key, String(n + 1), e.revision) : kv.create(key, '1');
      if (await put.then(() => true).catch(() => false)) return;
    }
  }

  /** Forgets the KV bucket (the connection closed). */
  clear(): void {
    this.#kv = undefined;
  }
}

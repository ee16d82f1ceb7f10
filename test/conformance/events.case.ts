// The events contract: one suite run unchanged against every Events (memory, SQLite, the control
// plane's client, NATS JetStream, Redis streams). Each test works on topics of its own, so engines
// shared between runs or tests need no cleaning. Redelivery tests use a short ackTimeout
// (options.ackTimeout, 300 ms by default); "nothing more arrives" is checked over options.settle ms.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type {
  Delivery,
  EventSubscribeOptions,
  EventSubscription,
  Events,
} from '../../src/platform/events/events.ts';
import { EVENTS_LIMITS } from '../../src/platform/events/events.ts';

/** What an implementation tells the suite about itself. */
export interface EventsCaseOptions {
  /** Ms to wait for a delivery (default 5,000). */
  timeout?: number;
  /** Ms over which nothing arriving counts as nothing more (default 250). */
  settle?: number;
  /** The ackTimeout redelivery tests subscribe with (default 300). */
  ackTimeout?: number;
  /**
   * Closes `events` and opens the same durable engine again (SQLite: the same file; a server
   * engine: a new client). Absent: the restart test only stops and resubscribes.
   */
  reopen?: (events: Events) => Promise<Events>;
  /** Ms within which events past a 1 s maxAge must be gone (default 5,000). */
  expiry?: number;
  /** False when the engine cannot count a group's members (GroupInfo.members is then 0). */
  members?: boolean;
}

/** A topic of this test's own. */
const fresh = (): string => `t-${randomUUID().slice(0, 13)}`;

/** Expects an events 400 whose detail matches `detail`. */
async function refused(p: Promise<unknown> | (() => unknown), detail: RegExp): Promise<void> {
  await assert.rejects(
    async () => (typeof p === 'function' ? p() : p),
    (err: { id?: string; code?: number; detail?: string }) => {
      assert.equal(err.code, 400, `expected 400, got ${JSON.stringify(err)}`);
      assert.equal(err.id, 'events');
      assert.match(err.detail ?? '', detail);
      return true;
    },
  );
}

/** Reads a subscription in the background, so a test can wait for n more or for none. */
class Reader {
  readonly got: Delivery[] = [];
  #seen = 0;
  readonly #wakes = new Set<() => void>();
  ended = false;
  readonly sub: EventSubscription;
  readonly timeout: number;
  constructor(sub: EventSubscription, timeout: number) {
    this.sub = sub;
    this.timeout = timeout;
    void this.#run();
  }

  async #run(): Promise<void> {
    try {
      for await (const d of this.sub) {
        this.got.push(d);
        for (const wake of this.#wakes) wake();
      }
    } finally {
      this.ended = true;
      for (const wake of this.#wakes) wake();
    }
  }

  /** The next `n` deliveries, failing after the timeout. */
  async take(n: number): Promise<Delivery[]> {
    const deadline = Date.now() + this.timeout;
    while (this.got.length < this.#seen + n) {
      if (this.ended || Date.now() > deadline)
        throw new Error(
          `${this.got.length - this.#seen} of ${n} deliveries: ${JSON.stringify(offsets(this.got.slice(this.#seen)))}`,
        );
      await arrival([this], deadline);
    }
    return this.drain(n);
  }

  /** Up to `n` deliveries already here (all by default). */
  drain(n = Infinity): Delivery[] {
    const out = this.got.slice(this.#seen, this.#seen + n);
    this.#seen += out.length;
    return out;
  }

  /** Runs `wake` at the next arrival (or end). */
  listen(wake: () => void): () => void {
    this.#wakes.add(wake);
    return () => this.#wakes.delete(wake);
  }

  /** Asserts nothing more arrives over `ms`. */
  async quiet(ms: number): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    assert.deepEqual(
      this.got.slice(this.#seen).map((d) => `${d.offset}#${d.attempt}`),
      [],
      'nothing more was expected',
    );
  }

  async stop(): Promise<void> {
    await this.sub.stop();
  }
}

/** Resolves at the next arrival on any of `readers`, or at `deadline`. */
function arrival(readers: Reader[], deadline: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const unlisten: (() => void)[] = [];
    const done = (): void => {
      clearTimeout(timer);
      for (const u of unlisten) u();
      resolve();
    };
    const timer = setTimeout(done, Math.max(1, deadline - Date.now()));
    for (const r of readers) unlisten.push(r.listen(done));
  });
}

const offsets = (ds: { offset: number }[]): number[] => ds.map((d) => d.offset);
const sorted = (ns: number[]): number[] => [...ns].sort((a, b) => a - b);

/** Runs the events contract against the engine `make` gives (one per suite, closed at its end). */
export function runEventsCases(
  name: string,
  make: () => Events | Promise<Events>,
  options: EventsCaseOptions = {},
): void {
  const timeout = options.timeout ?? 5000;
  const settle = options.settle ?? 250;
  const ackTimeout = options.ackTimeout ?? 300;
  const countsMembers = options.members ?? true;
  const expiry = options.expiry ?? 5000;

  describe(`events contract: ${name}`, () => {
    let events: Events;
    const readers: Reader[] = [];
    const subscribe = async (topic: string, o?: EventSubscribeOptions): Promise<Reader> => {
      const r = new Reader(await events.subscribe(topic, o), timeout);
      readers.push(r);
      return r;
    };
    before(async () => {
      events = await make();
    });
    after(async () => {
      for (const r of readers) await r.stop().catch(() => undefined);
      await events?.close();
    });

    it('stores events in order under offsets 1, 2, 3 and reads them back, a page at a time', async () => {
      const topic = fresh();
      const data = { n: 1, tags: ['a'], deep: { x: [1, { y: null }] }, ok: true };
      const t0 = Date.now();
      const p1 = await events.publish(topic, data, { metadata: { trace: 'abc' } });
      const odd = JSON.parse('{"__proto__": "kept", "constructor": "too"}') as Record<
        string,
        string
      >;
      data.n = 99; // a caller changing what it published changes nothing stored
      const p2 = await events.publish(topic, 'two', { key: 'k2' });
      const p3 = await events.publish(topic, null, { metadata: odd });
      assert.deepEqual(offsets([p1, p2, p3]), [1, 2, 3]);
      assert.equal(new Set([p1.id, p2.id, p3.id]).size, 3);
      assert.ok(p1.time >= t0 - 1000 && p1.time <= p2.time && p2.time <= p3.time);
      assert.equal(p1.duplicate, false);
      assert.equal(p1.topic, topic);
      const page = await events.read(topic);
      assert.deepEqual(offsets(page.events), [1, 2, 3]);
      assert.equal(page.next, undefined);
      const [e1, e2] = page.events;
      assert.deepEqual(e1, {
        topic,
        offset: 1,
        id: p1.id,
        time: p1.time,
        metadata: { trace: 'abc' },
        data: { n: 1, tags: ['a'], deep: { x: [1, { y: null }] }, ok: true },
      });
      assert.equal(e2?.key, 'k2');
      assert.equal(e2?.data, 'two');
      assert.equal(page.events[2]?.data, null);
      assert.deepEqual(Object.entries(page.events[2].metadata), [
        ['__proto__', 'kept'],
        ['constructor', 'too'],
      ]);
      const first = await events.read(topic, { limit: 2 });
      assert.deepEqual(offsets(first.events), [1, 2]);
      assert.equal(first.next, 3);
      assert.deepEqual(offsets((await events.read(topic, { from: first.next })).events), [3]);
      assert.deepEqual(offsets((await events.read(topic, { from: 2, to: 2 })).events), [2]);
      const since = await events.read(topic, { since: p3.time, until: p3.time });
      assert.ok(offsets(since.events).includes(3) && !offsets(since.events).includes(4));
      assert.deepEqual(await events.read(fresh()), { events: [] });
    });

    it('stores a publish retried with the same key once: the retry returns the first offset with duplicate', async () => {
      const topic = fresh();
      const first = await events.publish(topic, { order: 1 }, { key: 'order-1' });
      const again = await events.publish(topic, { order: 'changed' }, { key: 'order-1' });
      assert.deepEqual(again, { ...first, duplicate: true });
      const many = await events.publishMany(topic, [
        { data: 2, key: 'order-2' },
        { data: 1, key: 'order-1' },
        { data: 'again', key: 'order-2' },
        { data: 3 },
      ]);
      assert.deepEqual(
        many.map((p) => [p.offset, p.duplicate]),
        [
          [2, false],
          [1, true],
          [2, true],
          [3, false],
        ],
      );
      const read = await events.read(topic);
      assert.deepEqual(
        read.events.map((e) => e.data),
        [{ order: 1 }, 2, 3],
      );
      const other = await events.publish(fresh(), 'x', { key: 'order-1' });
      assert.equal(other.duplicate, false, 'keys are per topic');
    });

    it('publishes many in order, all or none: one bad item is a 400 naming it and nothing is stored', async () => {
      const topic = fresh();
      await refused(
        events.publishMany(topic, [{ data: 1 }, { data: 2 }, { data: () => 3 }]),
        /events\[2\]\.data/,
      );
      await refused(
        events.publishMany(topic, [
          { data: 1, key: 'x' },
          { data: 2, metadata: { 'bad name': 'v' } },
        ]),
        /events\[1\]\.metadata/,
      );
      assert.deepEqual((await events.read(topic)).events, []);
      assert.deepEqual(await events.publishMany(topic, []), []);
      const ok = await events.publishMany(
        topic,
        Array.from({ length: 50 }, (_, i) => ({ data: i })),
      );
      assert.deepEqual(
        offsets(ok),
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      assert.deepEqual(
        (await events.read(topic, { limit: 1000 })).events.map((e) => e.data),
        Array.from({ length: 50 }, (_, i) => i),
      );
      // Publishes made together keep the order they were made in.
      const together = await Promise.all(
        Array.from({ length: 20 }, (_, i) => events.publish(topic, { i: 50 + i })),
      );
      assert.deepEqual(
        offsets(together),
        Array.from({ length: 20 }, (_, i) => 51 + i),
      );
    });

    it('starts a subscriber at the latest, the earliest, an offset or a time', async () => {
      const topic = fresh();
      const p1 = await events.publish(topic, 1);
      // Events one ms apart at least, so a time names one of them.
      for (let i = 0; i < 100 && Date.now() <= p1.time; i++)
        await new Promise((r) => setTimeout(r, 2));
      const p2 = await events.publish(topic, 2);
      await events.publish(topic, 3);
      const latest = await subscribe(topic);
      const earliest = await subscribe(topic, { start: 'earliest' });
      const fromOffset = await subscribe(topic, { start: { offset: 2 } });
      const fromTime = await subscribe(topic, { start: { time: p2.time } });
      assert.deepEqual(offsets(await earliest.take(3)), [1, 2, 3]);
      assert.deepEqual(offsets(await fromOffset.take(2)), [2, 3]);
      assert.deepEqual(offsets(await fromTime.take(2)), [2, 3]);
      await events.publish(topic, 4);
      assert.deepEqual(offsets(await latest.take(1)), [4]);
      const [four] = await earliest.take(1);
      assert.equal(four?.data, 4);
      assert.equal(four?.attempt, 1);
      await four?.ack(); // a no-op without a group
      await latest.quiet(settle);
      // A new group starts where asked; an existing group keeps its position whatever start says.
      const group = await subscribe(topic, { group: 'g', start: 'earliest', ackTimeout });
      const got = await group.take(4);
      assert.deepEqual(offsets(got), [1, 2, 3, 4]);
      for (const d of got) await d.ack();
      await group.stop();
      const again = await subscribe(topic, { group: 'g', start: 'earliest', ackTimeout });
      await events.publish(topic, 5);
      assert.deepEqual(offsets(await again.take(1)), [5]);
      await again.quiet(settle);
    });

    it('shares a group between its members, each event to one of them', async () => {
      const topic = fresh();
      const a = await subscribe(topic, { group: 'workers', maxInFlight: 5, ackTimeout: 30_000 });
      const b = await subscribe(topic, { group: 'workers', maxInFlight: 5, ackTimeout: 30_000 });
      await events.publishMany(
        topic,
        Array.from({ length: 20 }, (_, i) => ({ data: i + 1 })),
      );
      // Neither acknowledges yet: each can hold 5, so both get some.
      const fromA = await a.take(5);
      const fromB = await b.take(5);
      const all = [...fromA, ...fromB];
      for (const d of all) await d.ack();
      const deadline = Date.now() + timeout;
      while (all.length < 20 && Date.now() < deadline) {
        const more = [...a.drain(), ...b.drain()];
        if (more.length === 0) await arrival([a, b], deadline);
        for (const d of more) await d.ack();
        all.push(...more);
      }
      assert.deepEqual(
        sorted(offsets(all)),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      await a.quiet(settle);
      await b.quiet(0);
      const [info] = await events.groups(topic);
      assert.equal(info?.position, 20);
      assert.equal(info?.pending, 0);
      assert.equal(info?.lag, 0);
      if (countsMembers) assert.equal(info?.members, 2);
    });

    it('delivers again what is not acknowledged within ackTimeout, and never what was acknowledged', async () => {
      const topic = fresh();
      const r = await subscribe(topic, { group: 'g', ackTimeout });
      await events.publishMany(topic, [{ data: 'acked' }, { data: 'dropped' }]);
      const [acked, dropped] = await r.take(2);
      assert.deepEqual([acked?.attempt, dropped?.attempt], [1, 1]);
      await acked!.ack();
      const [again] = await r.take(1);
      assert.equal(again?.offset, dropped?.offset);
      assert.equal(again?.data, 'dropped');
      assert.equal(again?.attempt, 2);
      await again.ack();
      await again.ack(); // idempotent
      await r.quiet(ackTimeout + settle);
      const [info] = await events.groups(topic);
      assert.deepEqual([info?.position, info?.pending, info?.lag], [2, 0, 0]);
    });

    it('delivers a nacked event again, at once', async () => {
      const topic = fresh();
      const r = await subscribe(topic, { group: 'g', ackTimeout: 60_000 });
      await events.publish(topic, 'retry me');
      const [first] = await r.take(1);
      await first!.nack();
      const [second] = await r.take(1);
      assert.deepEqual([second?.offset, second?.attempt, second?.data], [1, 2, 'retry me']);
      await second!.ack();
      await r.quiet(settle);
    });

    it('dead-letters an event after maxDeliveries failed deliveries, with where it came from', async () => {
      const topic = fresh();
      const dead = await subscribe(`${topic}.dead`, { start: 'earliest' });
      const r = await subscribe(topic, { group: 'g', ackTimeout, maxDeliveries: 2 });
      await events.publish(topic, { bad: true }, { metadata: { trace: 't1' } });
      const [one] = await r.take(1);
      await one!.nack();
      const [two] = await r.take(1);
      assert.equal(two?.attempt, 2);
      await two.nack();
      const [letter] = await dead.take(1);
      assert.deepEqual(letter?.data, { bad: true });
      assert.equal(letter?.topic, `${topic}.dead`);
      assert.deepEqual(letter?.metadata, {
        trace: 't1',
        'micro-dead-topic': topic,
        'micro-dead-offset': '1',
        'micro-dead-group': 'g',
        'micro-dead-reason': letter?.metadata['micro-dead-reason'],
      });
      assert.ok(letter?.metadata['micro-dead-reason']);
      await r.quiet(ackTimeout + settle);
      const [info] = await events.groups(topic);
      assert.deepEqual([info?.deadLettered, info?.pending, info?.position], [1, 0, 1]);
      assert.equal(info?.deadLetter, `${topic}.dead`);
      // Timing out counts as failing, and deadLetter names another topic.
      const other = fresh();
      const dead2 = await subscribe(other, { start: 'earliest' });
      const r2 = await subscribe(topic, {
        group: 'h',
        start: 'latest',
        ackTimeout,
        maxDeliveries: 1,
        deadLetter: other,
      });
      await events.publish(topic, 'slow');
      await r2.take(1);
      const [letter2] = await dead2.take(1);
      assert.equal(letter2?.data, 'slow');
      assert.equal(letter2?.metadata['micro-dead-group'], 'h');
      await r2.quiet(settle);
    });

    it("keeps a group's position and pending deliveries when it stops (and across a restart)", async () => {
      const topic = fresh();
      const r = await subscribe(topic, { group: 'kept', ackTimeout });
      await events.publishMany(topic, [{ data: 1 }, { data: 2 }, { data: 3 }]);
      const got = await r.take(3);
      await got[0]!.ack();
      await got[1]!.ack();
      await r.stop();
      if (options.reopen) events = await options.reopen(events);
      await events.publish(topic, 4);
      const [info] = await events.groups(topic);
      assert.equal(info?.position, 2);
      assert.equal(info?.lag, 2);
      // Its pending event comes back once its deadline passed (the new ackTimeout applies after).
      const again = await subscribe(topic, { group: 'kept', ackTimeout: 30_000 });
      const rest = await again.take(2);
      assert.deepEqual(sorted(offsets(rest)), [3, 4]);
      assert.equal(rest.find((d) => d.offset === 3)?.attempt, 2);
      for (const d of rest) await d.ack();
      await again.quiet(settle);
    });

    it('gives a member no more than maxInFlight unacknowledged events', async () => {
      const topic = fresh();
      const r = await subscribe(topic, { group: 'g', maxInFlight: 2, ackTimeout: 30_000 });
      await events.publishMany(
        topic,
        [1, 2, 3, 4, 5].map((data) => ({ data })),
      );
      const two = await r.take(2);
      assert.deepEqual(offsets(two), [1, 2]);
      await r.quiet(settle);
      assert.equal((await events.groups(topic))[0]?.pending, 2);
      await two[0]!.ack();
      assert.deepEqual(offsets(await r.take(1)), [3]);
      await r.quiet(settle);
    });

    it('seeks a group back or forward, and deletes a group', async () => {
      const topic = fresh();
      const r = await subscribe(topic, { group: 'g', ackTimeout: 30_000 });
      await events.publishMany(
        topic,
        [1, 2, 3].map((data) => ({ data })),
      );
      for (const d of await r.take(3)) await d.ack();
      const info = await events.seek(topic, 'g', { offset: 2 });
      assert.equal(info.position, 1);
      assert.equal(info.group, 'g');
      const replayed = await r.take(2);
      assert.deepEqual(offsets(replayed), [2, 3]);
      for (const d of replayed) await d.ack();
      const skipped = await events.seek(topic, 'g', 'latest');
      assert.equal(skipped.position, 3);
      await r.quiet(settle);
      await r.stop();
      assert.equal(await events.deleteGroup(topic, 'g'), true);
      assert.deepEqual(await events.groups(topic), []);
      assert.equal(await events.deleteGroup(topic, 'g'), false);
      // A group made anew starts where its subscriber asks.
      const fresh2 = await subscribe(topic, { group: 'g', start: 'earliest', ackTimeout: 30_000 });
      assert.deepEqual(offsets(await fresh2.take(3)), [1, 2, 3]);
    });

    it("refuses to seek a group past the topic's next offset, naming start and the last offset", async () => {
      const topic = fresh();
      await events.publishMany(
        topic,
        [1, 2, 3].map((data) => ({ data })),
      );
      await refused(events.seek(topic, 'g', { offset: 999 }), /start.*\b3\b/);
      // The next offset itself is fine: the group waits for the next event.
      assert.equal((await events.seek(topic, 'g', { offset: 4 })).position, 3);
    });

    it('keeps at most maxCount events of a topic, the oldest dropped first', async () => {
      const topic = fresh();
      const configured = await events.configure(topic, { maxCount: 3 });
      assert.equal(configured.topic, topic);
      assert.equal(configured.retention.maxCount, 3);
      assert.equal(configured.retention.maxAge, EVENTS_LIMITS.retention.maxAge);
      await events.publishMany(
        topic,
        [1, 2, 3, 4, 5].map((data) => ({ data })),
      );
      assert.deepEqual(offsets((await events.read(topic)).events), [3, 4, 5]);
      const [t] = await events.topics(topic);
      assert.deepEqual([t?.first, t?.last, t?.count], [3, 5, 3]);
      const r = await subscribe(topic, { start: 'earliest' });
      assert.deepEqual(offsets(await r.take(3)), [3, 4, 5]);
    });

    it('drops events older than maxAge', async () => {
      const topic = fresh();
      const configured = await events.configure(topic, { maxAge: 1000 });
      assert.equal(configured.retention.maxAge, 1000);
      await events.publishMany(topic, [{ data: 1 }, { data: 2 }]);
      const deadline = Date.now() + expiry;
      while ((await events.read(topic)).events.length > 0) {
        assert.ok(Date.now() < deadline, 'events older than maxAge are still there');
        await new Promise((r) => setTimeout(r, 100));
      }
      const [t] = await events.topics(topic);
      assert.deepEqual([t?.count, t?.last], [0, 2]);
      assert.equal((await events.publish(topic, 3)).offset, 3);
    });

    it('lists topics and groups', async () => {
      const prefix = fresh();
      const a = `${prefix}.a`;
      const b = `${prefix}.b`;
      const t0 = Date.now();
      await events.publishMany(b, [{ data: 1 }, { data: 2 }]);
      const last = await events.publish(a, 1);
      assert.deepEqual(await events.topics(`${prefix}.zzz`), []);
      const listed = await events.topics(prefix);
      assert.deepEqual(
        listed.map((t) => [t.topic, t.first, t.last, t.count]),
        [
          [a, 1, 1, 1],
          [b, 1, 2, 2],
        ],
      );
      assert.equal(listed[0]?.lastTime, last.time);
      assert.ok(listed[1]!.lastTime >= t0 - 1000);
      assert.deepEqual(listed[0]?.retention, EVENTS_LIMITS.retention);
      const r = await subscribe(b, { group: 'reader', start: 'earliest', ackTimeout: 30_000 });
      const [one] = await r.take(1);
      await one!.ack();
      await r.take(1);
      const groups = await events.groups(b);
      assert.equal(groups.length, 1);
      const g = groups[0]!;
      assert.deepEqual(
        [g.topic, g.group, g.position, g.pending, g.lag, g.deadLettered],
        [b, 'reader', 1, 1, 1, 0],
      );
      assert.deepEqual(
        [g.ackTimeout, g.maxDeliveries, g.deadLetter],
        [30_000, EVENTS_LIMITS.maxDeliveries.default, `${b}.dead`],
      );
      if (countsMembers) assert.equal(g.members, 1);
      assert.ok((await events.groups()).some((x) => x.topic === b && x.group === 'reader'));
      assert.deepEqual(await events.groups(a), []);
    });

    it('refuses bad input with a 400 naming the field, storing nothing', async () => {
      const topic = fresh();
      const long = 'x'.repeat(EVENTS_LIMITS.topicLength + 1);
      const tooBig = 'x'.repeat(EVENTS_LIMITS.dataBytes);
      let deep: unknown = 1;
      for (let i = 0; i <= EVENTS_LIMITS.depth + 1; i++) deep = [deep];
      const many = Object.fromEntries(
        Array.from({ length: EVENTS_LIMITS.metadataEntries + 1 }, (_, i) => [`m${i}`, 'v']),
      );
      const cases: [() => Promise<unknown>, RegExp][] = [
        [() => events.publish('', 1), /topic/],
        [() => events.publish(long, 1), /topic/],
        [() => events.publish('a..b', 1), /topic/],
        [() => events.publish('.a', 1), /topic/],
        [() => events.publish('a b', 1), /topic/],
        [() => events.publish(42 as unknown as string, 1), /topic/],
        [() => events.publish(topic, undefined), /data/],
        [() => events.publish(topic, { n: NaN }), /data\.n/],
        [() => events.publish(topic, new Date()), /data/],
        [() => events.publish(topic, tooBig), /data.*bytes/],
        [() => events.publish(topic, deep), /data.*deeper/],
        [() => events.publish(topic, 1, { key: '' }), /key/],
        [() => events.publish(topic, 1, { key: 'k'.repeat(EVENTS_LIMITS.keyBytes + 1) }), /key/],
        [() => events.publish(topic, 1, { key: 7 as unknown as string }), /key/],
        [() => events.publish(topic, 1, { metadata: many }), /metadata/],
        [
          () => events.publish(topic, 1, { metadata: { a: 1 as unknown as string } }),
          /metadata\.a/,
        ],
        [() => events.publish(topic, 1, { metadata: { 'a b': 'v' } }), /metadata/],
        [
          () =>
            events.publish(topic, 1, {
              metadata: { a: 'v'.repeat(EVENTS_LIMITS.metadataValueBytes + 1) },
            }),
          /metadata\.a/,
        ],
        [() => events.publish(topic, 1, { keys: 'x' } as never), /keys/],
        [() => events.publishMany(topic, {} as never), /events/],
        [
          () =>
            events.publishMany(
              topic,
              Array.from({ length: EVENTS_LIMITS.batch + 1 }, () => ({ data: 1 })),
            ),
          /events/,
        ],
        [() => events.publishMany(topic, [{ data: 1 }, 5 as never]), /events\[1\]/],
        [() => events.publishMany(topic, [{ value: 1 } as never]), /events\[0\]/],
        [() => events.subscribe(topic, { group: 'a b' }), /group/],
        [() => events.subscribe(topic, { group: 'g'.repeat(129) }), /group/],
        [() => events.subscribe(topic, { start: 'first' as never }), /start/],
        [() => events.subscribe(topic, { start: { offset: 0 } }), /start/],
        [() => events.subscribe(topic, { start: { offset: 1.5 } }), /start/],
        [() => events.subscribe(topic, { start: { time: -1 } }), /start/],
        [() => events.subscribe(topic, { start: { offset: 1, time: 1 } as never }), /start/],
        [() => events.subscribe(topic, { ackTimeout: 99 }), /ackTimeout/],
        [() => events.subscribe(topic, { ackTimeout: 3_600_001 }), /ackTimeout/],
        [() => events.subscribe(topic, { maxDeliveries: 0 }), /maxDeliveries/],
        [() => events.subscribe(topic, { maxDeliveries: 101 }), /maxDeliveries/],
        [() => events.subscribe(topic, { maxInFlight: 0 }), /maxInFlight/],
        [() => events.subscribe(topic, { maxInFlight: 1001 }), /maxInFlight/],
        [() => events.subscribe(topic, { deadLetter: 'a..b' }), /deadLetter/],
        [() => events.subscribe(topic, { groups: 'g' } as never), /groups/],
        [() => events.read(topic, { limit: 0 }), /limit/],
        [() => events.read(topic, { limit: 1001 }), /limit/],
        [() => events.read(topic, { from: -1 }), /from/],
        [() => events.read(topic, { since: 'yesterday' as never }), /since/],
        [() => events.read(topic, { form: 1 } as never), /form/],
        [() => events.read('a..b'), /topic/],
        [() => events.topics('a b'), /prefix/],
        [() => events.groups('a..b'), /topic/],
        [() => events.seek(topic, 'g', 'never' as never), /start/],
        [() => events.seek(topic, '', 'latest'), /group/],
        [() => events.deleteGroup(topic, 'a/b'), /group/],
        [() => events.configure(topic, { maxCount: 0 }), /maxCount/],
        [() => events.configure(topic, { maxAge: -5 }), /maxAge/],
        [() => events.configure(topic, { maxSize: 5 } as never), /maxSize/],
      ];
      for (const [call, field] of cases) await refused(call, field);
      assert.deepEqual(await events.topics(topic), []);
      assert.deepEqual(await events.groups(topic), []);
      assert.deepEqual((await events.read(topic)).events, []);
      // A bad nack delay is refused too, and the delivery is still pending.
      const r = await subscribe(topic, { group: 'g', ackTimeout: 30_000 });
      await events.publish(topic, 1);
      const [d] = await r.take(1);
      await refused(d!.nack(-1), /delay/);
      await refused(d!.nack(1.5), /delay/);
      assert.equal((await events.groups(topic))[0]?.pending, 1);
      await d!.ack();
    });
  });
}

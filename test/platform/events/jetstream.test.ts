import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventsFromEnv } from '../../../src/platform/events/index.ts';
import { createJetStreamEvents } from '../../../src/platform/events/jetstream.ts';
import { readRange } from '../../../src/platform/events/jetstream-member.ts';
import type { Delivery, EventSubscription } from '../../../src/platform/events/events.ts';
import type { MicroError } from '../../../src/runtime/errors.ts';
import { runEventsCases } from '../../conformance/events.case.ts';
import { serverForTests } from '../../helpers/lifecycle.ts';
import { startNatsServer } from '../../helpers/nats-server.ts';

// A real nats-server (Debian's) with JetStream on 127.0.0.1; max_payload raised to 2 MiB so that
// data of the events' 1 MiB limit fits with its envelope (the default is 1 MiB).
const address = serverForTests(() => startNatsServer({ jetstream: true, maxPayload: 2 << 20 }));

// JetStream does not tell a pull consumer's members apart: declared (members is 0).
runEventsCases('jetstream', () => createJetStreamEvents({ address: address() }), {
  members: false,
  // Redelivery after 500 ms, not 300: margin over the suite's 250 ms of quiet on a loaded machine.
  ackTimeout: 500,
  reopen: async (events) => {
    await events.close();
    return createJetStreamEvents({ address: address() });
  },
});

/** The next delivery of a subscription, which then ends. */
async function one(sub: EventSubscription): Promise<Delivery | undefined> {
  for await (const d of sub) return d;
  return undefined;
}

describe('jetstream events', () => {
  it('answers a 503 naming NATS, its address and how to start it when nothing listens', async () => {
    const events = createJetStreamEvents({ address: '127.0.0.1:1', timeout: 1000 });
    try {
      await assert.rejects(events.publish('t', 1), (err: MicroError) => {
        assert.equal(err.code, 503);
        assert.equal(err.id, 'events');
        assert.match(
          err.detail,
          /cannot reach NATS at 127\.0\.0\.1:1 .*start nats-server with JetStream \(nats-server -js -a 127\.0\.0\.1 -p 1\)/,
        );
        return true;
      });
    } finally {
      await events.close();
    }
  });

  it('is the `jetstream` engine of MICRO_EVENTS, and keeps long topic names and 1 MiB of data apart', async () => {
    const events = eventsFromEnv({ MICRO_EVENTS: 'jetstream', MICRO_EVENTS_ADDRESS: address() });
    try {
      assert.equal(events.name, 'jetstream');
      // Two topics that differ only past what a stream name keeps, and by '.' against '_'.
      const long = 'a'.repeat(250);
      const topics = [`${long}.x`, `${long}.y`, 'a.b', 'a_b'];
      for (const [i, t] of topics.entries()) await events.publish(t, i);
      for (const [i, t] of topics.entries())
        assert.deepEqual(
          (await events.read(t)).events.map((e) => e.data),
          [i],
        );
      const big = 'x'.repeat(1024 * 1024 - 2); // 1 MiB as JSON text, the limit
      const p = await events.publish('big', big);
      assert.equal((await events.read('big', { from: p.offset })).events[0]?.data, big);
    } finally {
      await events.close();
    }
  });

  it('dead-letters, at its next delivery, an event whose member stopped past its last attempt', async () => {
    const events = createJetStreamEvents({ address: address() });
    const topic = `gone-${Date.now()}`;
    try {
      const dead = await events.subscribe(`${topic}.dead`, { start: 'earliest' });
      const first = await events.subscribe(topic, {
        group: 'g',
        ackTimeout: 300,
        maxDeliveries: 1,
      });
      await events.publish(topic, 'held');
      // Never acknowledged, and its member is gone (breaking out stops it) before its deadline.
      assert.equal((await one(first))?.data, 'held');
      const next = await events.subscribe(topic, { group: 'g', ackTimeout: 300, maxDeliveries: 1 });
      const letter = await one(dead);
      assert.equal(letter?.data, 'held');
      assert.deepEqual(
        [letter?.metadata['micro-dead-group'], letter?.metadata['micro-dead-reason']],
        ['g', 'timeout'],
      );
      await next.stop();
      // The letter is published before the event is counted and terminated: look until it is.
      let [info] = await events.groups(topic);
      for (let i = 0; i < 100 && info?.pending !== 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        [info] = await events.groups(topic);
      }
      assert.deepEqual([info?.deadLettered, info?.pending, info?.position], [1, 0, 1]);
    } finally {
      await events.close();
    }
  });

  it('ends a range read whose events retention dropped after the range was taken', async () => {
    const events = createJetStreamEvents({ address: address() });
    const { connect } = await import('nats');
    const nc = await connect({ servers: address() });
    const topic = `aged-${Date.now()}`;
    try {
      await events.configure(topic, { maxAge: 1000 });
      await events.publishMany(topic, [{ data: 1 }, { data: 2 }]);
      // Wait until retention dropped both, then read the range the stream had before.
      while ((await events.topics(topic))[0]?.count !== 0)
        await new Promise((r) => setTimeout(r, 100));
      const link = {
        js: nc.jetstream(),
        flushed: () => nc.flush(),
        reach: { engine: 'NATS', address: address(), timeout: 5000, hint: '' },
        prefix: 'micro-events',
        deadLetter: () => Promise.resolve(),
      };
      const page = await readRange(link, topic, { from: 1, to: 2, limit: 100 });
      assert.deepEqual(page, { events: [] });
    } finally {
      await nc.close();
      await events.close();
    }
  });
});

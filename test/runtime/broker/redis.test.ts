import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { Broker, BrokerEvent } from '../../../src/runtime/broker/broker.ts';
import {
  createRedisBroker,
  type RedisBrokerOptions,
} from '../../../src/runtime/broker/redis/index.ts';
import { runBrokerCases } from '../../conformance/broker.case.ts';
import { serverForTests } from '../../helpers/lifecycle.ts';
import { freePort } from '../../helpers/net.ts';
import { startRedisServer } from '../../helpers/redis-server.ts';

// A real redis-server on 127.0.0.1; the test fails when it cannot start.
const address = serverForTests(startRedisServer);

// Three brokers, each on its own connections.
runBrokerCases('redis', () => {
  const make = () => createRedisBroker({ address: address() });
  return [make(), make(), make()];
});

/** The next `n` deliveries a handler sees, failing after `ms`. */
function deliveries(n: number, ms = 10_000) {
  const seen: { event: BrokerEvent; at: number }[] = [];
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  return {
    seen,
    push(event: BrokerEvent) {
      seen.push({ event, at: Date.now() });
      if (seen.length >= n) done();
    },
    async wait() {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${seen.length}/${n} deliveries in ${ms} ms`)),
          ms,
        );
      });
      await Promise.race([all, late]).finally(() => clearTimeout(timer));
    },
  };
}

const text = (e: { event: BrokerEvent }) => Buffer.from(e.event.message.body).toString();

describe('redis broker', () => {
  const brokers: Broker[] = [];
  const make = async (o: RedisBrokerOptions = {}) => {
    const b = createRedisBroker({ address: address(), ...o });
    brokers.push(b);
    await b.connect();
    return b;
  };
  after(async () => {
    for (const b of brokers) await b.disconnect();
  });

  it('redelivers, to the same group, a message whose handler failed, after redeliverAfter', async () => {
    const pub = await make();
    const sub = await make({ redeliverAfter: 300 });
    for (const queue of ['workers', undefined]) {
      const d = deliveries(2);
      const s = await sub.subscribe(
        `fail-${queue ?? 'all'}`,
        (e) => {
          d.push(e);
          if (d.seen.length === 1) throw new Error('not now');
        },
        { queue },
      );
      await pub.publish(`fail-${queue ?? 'all'}`, {
        header: { 'x-n': '1' },
        body: Buffer.from('m1'),
      });
      await d.wait();
      const [first, second] = d.seen;
      assert.deepEqual(d.seen.map(text), ['m1', 'm1'], `queue ${queue}`);
      assert.equal(second?.event.message.header['x-n'], '1');
      assert.ok((second?.at ?? 0) - (first?.at ?? 0) >= 250, 'not before redeliverAfter');
      await s.unsubscribe();
    }
  });

  it('gives a queue member the message another member took and left unacknowledged', async () => {
    const pub = await make();
    const a = await make({ redeliverAfter: 300 });
    const b = await make({ redeliverAfter: 300 });
    const gotA = deliveries(1);
    await a.subscribe('handover', (e) => gotA.push(e), { queue: 'workers', autoAck: false });
    await pub.publish('handover', { header: {}, body: Buffer.from('job') });
    await gotA.wait();
    await a.disconnect(); // gone without acknowledging
    const gotB = deliveries(1);
    await b.subscribe('handover', (e) => gotB.push(e), { queue: 'workers' });
    await gotB.wait();
    assert.deepEqual(gotB.seen.map(text), ['job']);
  });

  it('keeps messages for a queue group while all its members are away', async () => {
    const pub = await make();
    const sub = await make();
    const s = await sub.subscribe('durable', () => undefined, { queue: 'keep' });
    await s.unsubscribe();
    await pub.publish('durable', { header: {}, body: Buffer.from('while away') });
    const d = deliveries(1);
    await sub.subscribe('durable', (e) => d.push(e), { queue: 'keep' });
    await d.wait();
    assert.deepEqual(d.seen.map(text), ['while away']);
  });

  it('acknowledges on ack() with autoAck off, and keeps the stream near maxLen', async () => {
    const pub = await make({ maxLen: 10, prefix: 'capped' });
    const sub = await make({ prefix: 'capped', redeliverAfter: 200 });
    const d = deliveries(1);
    await sub.subscribe('acked', (e) => d.push(e), { queue: 'q', autoAck: false });
    await pub.publish('acked', { header: {}, body: Buffer.from('once') });
    await d.wait();
    await d.seen[0]?.event.ack();
    const raw = new Redis({ host: '127.0.0.1', port: Number(address().split(':')[1]) });
    try {
      const summary = await raw.xpending('capped.acked', 'q');
      assert.equal(summary[0], 0, 'nothing pending');
      for (let i = 0; i < 500; i++)
        await pub.publish('unread', { header: {}, body: Buffer.from('x') });
      const len = await raw.xlen('capped.unread');
      assert.ok(len >= 10 && len < 250, `stream length ${len}`);
    } finally {
      raw.disconnect();
    }
  });

  it('removes the group a crashed broadcast subscriber left, once nobody listens to it', async () => {
    const raw = new Redis({ host: '127.0.0.1', port: Number(address().split(':')[1]) });
    try {
      const old = `~${Date.now() - 120_000}-crashed`;
      const recent = `~${Date.now()}-starting`;
      for (const g of [old, recent, 'a-queue'])
        await raw.xgroup('CREATE', 'micro.broker.swept', g, '$', 'MKSTREAM');
      const sub = await make();
      await sub.subscribe('swept', () => undefined);
      const info = (await raw.xinfo('GROUPS', 'micro.broker.swept')) as string[][];
      const names = info.map((g) => g[1]);
      assert.ok(!names.includes(old), 'the abandoned group is gone');
      assert.ok(names.includes(recent) && names.includes('a-queue'), 'the others stay');
      assert.equal(names.length, 3, 'and the subscriber has its own');
    } finally {
      raw.disconnect();
    }
  });

  it('ends blocking reads at once on disconnect', async () => {
    const b = createRedisBroker({ address: address(), blockMs: 60_000 });
    await b.connect();
    await b.subscribe('idle', () => undefined);
    await b.subscribe('idle', () => undefined, { queue: 'q' });
    const t0 = Date.now();
    await b.disconnect();
    assert.ok(Date.now() - t0 < 2000, `disconnect took ${Date.now() - t0} ms`);
    await assert.rejects(
      b.publish('idle', { header: {}, body: Buffer.from('x') }),
      /NOT_CONNECTED/,
    );
  });

  it('says where it tried and how to start Redis when nothing answers', async () => {
    const port = await freePort();
    const b = createRedisBroker({ address: `127.0.0.1:${port}`, timeout: 1000 });
    await assert.rejects(b.publish('t', { header: {}, body: Buffer.from('x') }), /NOT_CONNECTED/);
    await assert.rejects(
      b.connect(),
      new RegExp(
        `MICRO_ERR_BROKER_NOT_CONNECTED: no Redis at 127\\.0\\.0\\.1:${port} \\(connect ECONNREFUSED.*start redis-server`,
      ),
    );
    await assert.rejects(b.connect(), /no Redis at/, 'a second try fails the same way');
    await b.disconnect();
  });
});

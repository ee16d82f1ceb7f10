import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  BrokerError,
  BrokerErrors,
  type Broker,
  type BrokerEvent,
} from '../../src/runtime/broker/broker.ts';

/**
 * The broker contract. `make` returns three brokers that reach one another (they may be one instance):
 * the publisher and two subscribers' brokers. Publish must resolve only once delivery was attempted.
 */
export function runBrokerCases(
  label: string,
  make: () => Promise<[Broker, Broker, Broker]> | [Broker, Broker, Broker],
): void {
  describe(`broker contract: ${label}`, () => {
    let pub: Broker, subA: Broker, subB: Broker;
    before(async () => {
      [pub, subA, subB] = await make();
      for (const b of new Set([pub, subA, subB])) await b.connect();
    });
    after(async () => {
      for (const b of new Set([pub, subA, subB])) await b.disconnect();
    });
    const topic = () => `orders-${randomUUID().slice(0, 8)}`;
    const body = (n: number) => Buffer.from(JSON.stringify({ n }));
    const num = (e: BrokerEvent) =>
      (JSON.parse(Buffer.from(e.message.body).toString()) as { n: number }).n;

    it('gives every broadcast subscriber every message, with header and body intact', async () => {
      const t = topic();
      const a: number[] = [];
      const b: BrokerEvent[] = [];
      const s1 = await subA.subscribe(t, (e) => void a.push(num(e)));
      const s2 = await subB.subscribe(t, (e) => void b.push(e));
      for (let i = 0; i < 20; i++)
        await pub.publish(t, {
          header: { 'content-type': 'application/json', 'x-trace': `t${i}` },
          body: body(i),
        });
      assert.deepEqual(
        [...a].sort((x, y) => x - y),
        Array.from({ length: 20 }, (_, i) => i),
      );
      assert.equal(b.length, 20);
      const first = b.find((e) => num(e) === 0);
      assert.equal(first?.message.header['x-trace'], 't0');
      assert.equal(first?.topic, t);
      await s1.unsubscribe();
      await s2.unsubscribe();
    });

    it('delivers each message to exactly one member of a queue group', async () => {
      const t = topic();
      const a: number[] = [];
      const b: number[] = [];
      const s1 = await subA.subscribe(t, (e) => void a.push(num(e)), { queue: 'workers' });
      const s2 = await subB.subscribe(t, (e) => void b.push(num(e)), { queue: 'workers' });
      await Promise.all(
        Array.from({ length: 60 }, (_, i) => pub.publish(t, { header: {}, body: body(i) })),
      );
      assert.deepEqual(
        [...a, ...b].sort((x, y) => x - y),
        Array.from({ length: 60 }, (_, i) => i),
        'each message once',
      );
      assert.ok(a.length > 0 && b.length > 0, `both members work (${a.length}/${b.length})`);
      await s1.unsubscribe();
      await s2.unsubscribe();
    });

    it('serves a queue group and a broadcast subscriber side by side', async () => {
      const t = topic();
      let group = 0;
      let all = 0;
      const s1 = await subA.subscribe(t, () => void group++, { queue: 'g' });
      const s2 = await subB.subscribe(t, () => void all++);
      for (let i = 0; i < 10; i++) await pub.publish(t, { header: {}, body: body(i) });
      assert.equal(group, 10);
      assert.equal(all, 10);
      await s1.unsubscribe();
      await s2.unsubscribe();
    });

    it('stops delivering after unsubscribe', async () => {
      const t = topic();
      let got = 0;
      const s = await subA.subscribe(t, () => void got++);
      await pub.publish(t, { header: {}, body: body(1) });
      await s.unsubscribe();
      await pub.publish(t, { header: {}, body: body(2) });
      assert.equal(got, 1);
    });

    it('accepts a publish with no subscribers, and refuses an invalid topic', async () => {
      await pub.publish(topic(), { header: {}, body: body(0) });
      const invalid = (err: unknown): boolean =>
        err instanceof BrokerError && err.code === BrokerErrors.invalidTopic;
      await assert.rejects(pub.publish('has space', { header: {}, body: body(0) }), invalid);
      await assert.rejects(pub.publish('', { header: {}, body: body(0) }), invalid);
      await assert.rejects(
        subA.subscribe('has space', () => undefined),
        invalid,
      );
    });

    it('keeps delivering to others when one subscriber throws', async () => {
      const t = topic();
      let ok = 0;
      const s1 = await subA.subscribe(t, () => {
        throw new Error('bad subscriber');
      });
      const s2 = await subB.subscribe(t, () => void ok++);
      await pub.publish(t, { header: {}, body: body(0) });
      await pub.publish(t, { header: {}, body: body(1) });
      assert.equal(ok, 2);
      await s1.unsubscribe();
      await s2.unsubscribe();
    });
  });
}

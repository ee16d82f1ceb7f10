import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Delivery } from '../../../src/platform/events/events.ts';
import { createSqliteEvents } from '../../../src/platform/events/sqlite.ts';
import { runEventsCases } from '../../conformance/events.case.ts';

const dir = mkdtempSync(join(tmpdir(), 'micro-events-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const path = join(dir, 'micro.db');
runEventsCases('sqlite', () => createSqliteEvents({ path }), {
  reopen: async (events) => {
    await events.close();
    return createSqliteEvents({ path });
  },
});

describe('sqlite events', () => {
  it('delivers again, after a restart, what was pending when it closed, and keeps keys, retention and group options', async () => {
    const file = join(dir, 'restart.db');
    const first = createSqliteEvents({ path: file });
    await first.configure('orders', { maxCount: 100 });
    const sub = await first.subscribe('orders', {
      group: 'billing',
      ackTimeout: 200,
      maxDeliveries: 3,
    });
    await first.publishMany('orders', [
      { data: { n: 1 }, key: 'o-1' },
      { data: { n: 2 }, key: 'o-2' },
      { data: { n: 3 }, key: 'o-3' },
    ]);
    const it1 = sub[Symbol.asyncIterator]();
    const got: Delivery[] = [];
    for (let i = 0; i < 3; i++) got.push((await it1.next()).value as Delivery);
    await sub.stop();
    await got[0]!.ack();
    await got[1]!.nack(); // waits for a member: none until the restart
    await first.close();

    const second = createSqliteEvents({ path: file });
    try {
      const again = await second.publish('orders', { n: 'retry' }, { key: 'o-1' });
      assert.deepEqual([again.offset, again.duplicate], [1, true]);
      const [info] = await second.groups('orders');
      assert.deepEqual(
        [info?.position, info?.pending, info?.ackTimeout, info?.maxDeliveries],
        [1, 2, 200, 3],
      );
      assert.equal((await second.topics('orders'))[0]?.retention.maxCount, 100);
      const resub = await second.subscribe('orders', {
        group: 'billing',
        ackTimeout: 200,
        maxDeliveries: 3,
      });
      const it2 = resub[Symbol.asyncIterator]();
      const redelivered = [(await it2.next()).value, (await it2.next()).value] as Delivery[];
      assert.deepEqual(redelivered.map((d) => [d.offset, d.attempt]).sort(), [
        [2, 2],
        [3, 2],
      ]);
      for (const d of redelivered) await d.ack();
      const [after] = await second.groups('orders');
      assert.deepEqual([after?.position, after?.pending, after?.lag], [3, 0, 0]);
    } finally {
      await second.close();
    }
  });

  it('keeps acknowledgements made out of order across restarts: only the others come again', async () => {
    const file = join(dir, 'out-of-order.db');
    const options = { group: 'w', ackTimeout: 100 };
    const first = createSqliteEvents({ path: file });
    const sub = await first.subscribe('tasks', options);
    await first.publishMany(
      'tasks',
      [1, 2, 3, 4, 5].map((n) => ({ data: n })),
    );
    const it1 = sub[Symbol.asyncIterator]();
    const got: Delivery[] = [];
    for (let i = 0; i < 5; i++) got.push((await it1.next()).value as Delivery);
    await got[1]!.ack();
    await got[3]!.ack();
    await first.close();

    const second = createSqliteEvents({ path: file });
    await second.ackOffsets('tasks', 'w', [5]);
    assert.deepEqual(
      (await second.groups('tasks')).map((g) => [g.position, g.pending]),
      [[0, 2]],
    );
    await second.close();

    const third = createSqliteEvents({ path: file });
    try {
      const again = (await third.subscribe('tasks', options))[Symbol.asyncIterator]();
      const redelivered = [(await again.next()).value, (await again.next()).value] as Delivery[];
      assert.deepEqual(redelivered.map((d) => [d.offset, d.data, d.attempt]).sort(), [
        [1, 1, 2],
        [3, 3, 2],
      ]);
      for (const d of redelivered) await d.ack();
      const [after] = await third.groups('tasks');
      assert.deepEqual([after?.position, after?.pending], [5, 0]);
    } finally {
      await third.close();
    }
    const fourth = createSqliteEvents({ path: file });
    try {
      const [info] = await fourth.groups('tasks');
      assert.deepEqual([info?.position, info?.pending], [5, 0]);
    } finally {
      await fourth.close();
    }
  });

  it('delivers large events in rounds of bounded size, every one of them', async () => {
    const events = createSqliteEvents({ path: join(dir, 'large.db') });
    try {
      const sub = await events.subscribe('big', { group: 'g', maxInFlight: 100 });
      const blob = 'x'.repeat(900 * 1024);
      await events.publishMany(
        'big',
        Array.from({ length: 20 }, (_, i) => ({ data: { i, blob } })),
      );
      const seen: number[] = [];
      for await (const d of sub) {
        seen.push(d.offset);
        await d.ack();
        if (seen.length === 20) break;
      }
      assert.deepEqual(
        seen,
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    } finally {
      await events.close();
    }
  });

  it('acknowledges by offset after a restart, without the deliveries (what a retried Ack does)', async () => {
    const file = join(dir, 'offsets.db');
    const first = createSqliteEvents({ path: file });
    const sub = await first.subscribe('jobs', { group: 'w', ackTimeout: 60_000 });
    await first.publishMany('jobs', [{ data: 1 }, { data: 2 }, { data: 3 }]);
    const it1 = sub[Symbol.asyncIterator]();
    for (let i = 0; i < 3; i++) await it1.next();
    await first.close();
    const second = createSqliteEvents({ path: file });
    try {
      await second.ackOffsets('jobs', 'w', [1, 3, 99]);
      await second.ackOffsets('jobs', 'nobody', [1]);
      await second.nackOffsets('jobs', 'w', [2], 60_000);
      const [info] = await second.groups('jobs');
      assert.deepEqual([info?.position, info?.pending], [1, 1]);
      await assert.rejects(second.ackOffsets('jobs', 'w', [0]), { code: 400, id: 'events' });
      await assert.rejects(second.nackOffsets('jobs', 'w', [2], -1), /delay/);
    } finally {
      await second.close();
    }
  });
});

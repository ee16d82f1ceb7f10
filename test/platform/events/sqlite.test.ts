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
});

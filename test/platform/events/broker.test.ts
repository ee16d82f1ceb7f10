import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventsBroker } from '../../../src/platform/events/broker.ts';
import { createMemoryEvents } from '../../../src/platform/events/memory.ts';

test('a durable handler that throws is delivered again after a growing delay', async () => {
  const events = createMemoryEvents();
  const delays: (number | undefined)[] = [];
  // Records each nack's delay, then lets the engine redeliver at once.
  const spied = {
    ...events,
    async subscribe(...a: Parameters<typeof events.subscribe>) {
      const sub = await events.subscribe(...a);
      return {
        ...sub,
        group: sub.group,
        stop: () => sub.stop(),
        async *[Symbol.asyncIterator]() {
          for await (const d of sub)
            yield { ...d, ack: () => d.ack(), nack: (ms?: number) => (delays.push(ms), d.nack()) };
        },
      };
    },
  } as typeof events;
  const broker = eventsBroker(() => spied);
  let calls = 0;
  const done = Promise.withResolvers<void>();
  const sub = await broker.subscribe(
    'orders',
    () => {
      if (++calls < 4) throw new Error('boom');
      done.resolve();
    },
    { queue: 'h', durable: { start: 'earliest' } },
  );
  await broker.publish('orders', { header: {}, body: Buffer.from('1') });
  await done.promise;
  await sub.unsubscribe();
  await events.close();
  assert.deepEqual(delays, [100, 200, 400]);
});

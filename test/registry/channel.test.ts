import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Channel, WATCH_BACKLOG } from '../../src/registry/channel.ts';
import { createMemoryRegistry } from '../../src/registry/memory.ts';
import type { Service } from '../../src/registry/registry.ts';

const service = (i: number): Service => ({
  name: `svc-${i}`,
  version: '1',
  metadata: {},
  endpoints: [],
  nodes: [{ id: `n-${i}`, address: `127.0.0.1:${1000 + (i % 60_000)}`, metadata: {} }],
});

test('a channel yields what was pushed in order, across its compactions', async () => {
  const c = new Channel<number>();
  for (let i = 0; i < 5000; i++) c.push(i);
  const seen: number[] = [];
  for await (const v of c) {
    seen.push(v);
    if (v % 1000 === 999) c.push(10_000 + v);
    if (seen.length === 5005) break;
  }
  assert.deepEqual(seen.slice(0, 5000), [...Array(5000).keys()]);
  assert.deepEqual(seen.slice(5000), [10_999, 11_999, 12_999, 13_999, 14_999]);
  assert.equal(c.closed, true, 'breaking out of the loop closes it');
});

test('a channel pushed past its limit drops its backlog and ends', async () => {
  let closed = 0;
  const c = new Channel<number>(() => closed++, 3);
  for (let i = 0; i < 3; i++) c.push(i);
  assert.equal(c.backlog, 3);
  c.push(3);
  assert.equal(c.closed, true);
  assert.equal(closed, 1);
  const rest: number[] = [];
  for await (const v of c) rest.push(v);
  assert.deepEqual(rest, [], 'what it held is dropped: the reader reads the registry again');
});

test('a watcher that stops reading is ended once it falls behind, and the others go on', async () => {
  const registry = createMemoryRegistry();
  const stalled = registry.watch();
  const reading = registry.watch();
  let read = 0;
  const reader = (async () => {
    for await (const _ of reading) if (++read === WATCH_BACKLOG + 10) return;
  })();
  for (let i = 0; i < WATCH_BACKLOG + 10; i++) {
    await registry.register(service(i), { ttl: 60_000 });
  }
  await reader;
  assert.equal(read, WATCH_BACKLOG + 10, 'the reading watcher saw every change');
  const left: unknown[] = [];
  for await (const e of stalled) left.push(e);
  assert.equal(left.length, 0, 'the stalled watcher ended with nothing held');
  await registry.close();
});

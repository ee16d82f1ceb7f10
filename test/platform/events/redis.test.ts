import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventsFromEnv } from '../../../src/platform/events/index.ts';
import { createRedisEvents } from '../../../src/platform/events/redis.ts';
import type { MicroError } from '../../../src/runtime/errors.ts';
import { runEventsCases } from '../../conformance/events.case.ts';
import { serverForTests } from '../../helpers/lifecycle.ts';
import { startRedisServer } from '../../helpers/redis-server.ts';

// A real redis-server (Debian's) on 127.0.0.1 and a free port.
const address = serverForTests(() => startRedisServer());

runEventsCases('redis', () => createRedisEvents({ address: address() }), {
  // Redelivery after 500 ms, not 300: margin over the suite's 250 ms of quiet on a loaded machine.
  ackTimeout: 500,
  reopen: async (events) => {
    await events.close();
    return createRedisEvents({ address: address() });
  },
});

describe('redis events', () => {
  it('answers a 503 naming Redis, its address and how to start it when nothing listens', async () => {
    const events = createRedisEvents({ address: '127.0.0.1:1', timeout: 1000 });
    try {
      await assert.rejects(events.publish('t', 1), (err: MicroError) => {
        assert.equal(err.code, 503);
        assert.equal(err.id, 'events');
        assert.match(
          err.detail,
          /cannot reach Redis at 127\.0\.0\.1:1 .*start redis-server \(redis-server --bind 127\.0\.0\.1 --port 1\)/,
        );
        return true;
      });
    } finally {
      await events.close();
    }
  });

  it('is the `redis` engine of MICRO_EVENTS, and two clients of one group share its events', async () => {
    const env = { MICRO_EVENTS: 'redis', MICRO_EVENTS_ADDRESS: address() };
    const [one, two] = [eventsFromEnv(env), eventsFromEnv(env)];
    try {
      assert.equal(one.name, 'redis');
      const topic = `shared-${Date.now()}`;
      const subs = [
        await one.subscribe(topic, { group: 'g', maxInFlight: 3 }),
        await two.subscribe(topic, { group: 'g', maxInFlight: 3 }),
      ];
      await one.publishMany(
        topic,
        Array.from({ length: 12 }, (_, i) => ({ data: i })),
      );
      const seen: number[][] = [[], []];
      await Promise.all(
        subs.map(async (sub, i) => {
          for await (const d of sub) {
            seen[i]!.push(d.offset);
            await d.ack();
            if (seen[0]!.length + seen[1]!.length >= 12) for (const s of subs) await s.stop();
          }
        }),
      );
      // Each member held 3 at most, so neither had them all; together they saw each once.
      assert.ok(seen[0]!.length > 0 && seen[1]!.length > 0);
      assert.deepEqual(
        [...seen[0]!, ...seen[1]!].sort((a, b) => a - b),
        Array.from({ length: 12 }, (_, i) => i + 1),
      );
      const [info] = await two.groups(topic);
      assert.deepEqual([info?.position, info?.pending], [12, 0]);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('keeps keys and metadata of any UTF-8 (colons, digits, emoji) as given, one publish or many in one turn', async () => {
    const events = createRedisEvents({ address: address() });
    try {
      const topic = `utf8-${Date.now()}`;
      const meta = { note: 'café: 12:34 ☕', '42': '{}' };
      // Publishes of one turn go out as one script: a key with metadata, a plain event, a repeat.
      const [a, b, again] = await Promise.all([
        events.publish(topic, 'a', { key: '7:ключ:☕', metadata: meta }),
        events.publish(topic, 'b'),
        events.publish(topic, 'a2', { key: '7:ключ:☕' }),
      ]);
      const many = await events.publishMany(topic, [
        { data: 'c', key: '1:' },
        { data: 'd', metadata: { x: '😀' } },
      ]);
      assert.deepEqual(
        [a, b, again, ...many].map((p) => [p.offset, p.duplicate]),
        [
          [1, false],
          [2, false],
          [1, true],
          [3, false],
          [4, false],
        ],
      );
      assert.equal(again.id, a.id);
      const { events: stored } = await events.read(topic);
      assert.deepEqual(
        stored.map((e) => [e.offset, e.data, e.key, e.metadata, e.id]),
        [
          [1, 'a', '7:ключ:☕', meta, a.id],
          [2, 'b', undefined, {}, b.id],
          [3, 'c', '1:', {}, many[0]!.id],
          [4, 'd', undefined, { x: '😀' }, many[1]!.id],
        ],
      );
    } finally {
      await events.close();
    }
  });
});

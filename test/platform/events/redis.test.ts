import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRedisEvents } from '../../../src/platform/events/redis.ts';
import type { MicroError } from '../../../src/runtime/errors.ts';
import { runEventsCases } from '../../conformance/events.case.ts';
import { serverForTests } from '../../helpers/lifecycle.ts';
import { startRedisServer } from '../../helpers/redis-server.ts';

// A real redis-server (Debian's) on 127.0.0.1 and a free port.
const address = serverForTests(() => startRedisServer());

runEventsCases('redis', () => createRedisEvents({ address: address() }), {
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
});

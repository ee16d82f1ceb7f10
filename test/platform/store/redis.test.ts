import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRedisStore } from '../../../src/platform/store/redis.ts';
import type { MicroError } from '../../../src/runtime/errors.ts';
import { runStoreCases } from '../../conformance/store.case.ts';
import { serverForTests } from '../../helpers/lifecycle.ts';
import { startRedisServer } from '../../helpers/redis-server.ts';

// A real redis-server (Debian's) on 127.0.0.1, a free port, no persistence.
const address = serverForTests(startRedisServer);

runStoreCases('redis', () => createRedisStore({ address: address() }));

describe('redis store', () => {
  it('answers a 503 naming Redis, its address and how to start it when nothing listens', async () => {
    const store = createRedisStore({ address: '127.0.0.1:1', timeout: 1000 });
    try {
      await assert.rejects(store.get('k'), (err: MicroError) => {
        assert.equal(err.code, 503);
        assert.match(
          err.detail,
          /cannot reach Redis at 127\.0\.0\.1:1 \(.*ECONNREFUSED.*\); start redis-server \(redis-server --bind 127\.0\.0\.1 --port 1\)/,
        );
        return true;
      });
    } finally {
      await store.close();
    }
  });
});

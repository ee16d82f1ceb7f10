import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startControlPlane } from '../../../src/controlplane/index.ts';
import { createMicroStore } from '../../../src/platform/store/client.ts';
import { createRedisStore } from '../../../src/platform/store/redis.ts';
import type { MicroError } from '../../../src/runtime/errors.ts';
import { runStoreCases } from '../../conformance/store.case.ts';
import { quiet } from '../../helpers/fixtures.ts';
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

  it('is what the control plane serves when its environment says MICRO_STORE=redis', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'micro-store-redis-'));
    const cp = await startControlPlane({
      address: '127.0.0.1:0',
      dataDir,
      logger: quiet,
      env: { MICRO_STORE: 'redis', MICRO_STORE_ADDRESS: address() },
    });
    const viaControlPlane = createMicroStore({ address: cp.address });
    const direct = createRedisStore({ address: address() });
    try {
      const database = 'served-by-cp';
      const watcher = viaControlPlane.watch({ database, prefix: 'cfg/' });
      const put = await viaControlPlane.put('cfg/a', { on: true }, { database });
      // In Redis itself: the same entry, version and all.
      assert.deepEqual(await direct.get('cfg/a', { database }), put);
      // And a write straight into Redis reaches the control plane's watchers.
      const later = await direct.put('cfg/b', 2, { database });
      const seen: unknown[] = [];
      for await (const e of watcher) {
        seen.push(e);
        if (seen.length === 2) break;
      }
      assert.deepEqual(seen, [
        { action: 'put', key: 'cfg/a', value: { on: true }, version: put.version },
        { action: 'put', key: 'cfg/b', value: 2, version: later.version },
      ]);
    } finally {
      await viaControlPlane.close();
      await direct.close();
      await cp.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

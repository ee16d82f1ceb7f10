import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startControlPlane } from '../../../src/controlplane/index.ts';
import { createService } from '../../../src/platform/service.ts';
import { createMicroSync } from '../../../src/platform/sync/client.ts';
import { createRedisSync } from '../../../src/platform/sync/redis.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { startTestControlPlane } from '../../helpers/control-plane.ts';
import { quiet } from '../../helpers/fixtures.ts';
import { startRedisServer } from '../../helpers/redis-server.ts';

describe('sync in a service and in the control plane', () => {
  const stops: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it("gives a service the control plane's sync as service.sync, released when the service stops", async () => {
    const cp = await startTestControlPlane('micro-sync-svc-');
    stops.push(() => cp.stop());
    const registry = createMicroRegistry({ address: cp.address });
    stops.push(() => registry.close());
    const service = createService({
      name: 'billing',
      registry,
      address: '127.0.0.1:0',
      logger: quiet,
      handleSignals: false,
    });
    await service.start();
    const other = createMicroSync({ address: cp.address, id: 'other' });
    stops.push(() => other.close());

    assert.equal(service.sync.name, 'micro');
    const lock = await service.sync.lock('invoices');
    assert.equal(lock.holder, service.server.id, 'held in the name of the service node');
    await assert.rejects(other.lock('invoices'), (err: { code?: number }) => err.code === 409);
    await service.stop();
    assert.equal(lock.signal.aborted, true);
    const taken = await other.lock('invoices');
    assert.ok(taken.token > lock.token);
  });

  it('serves the engine its own environment names (MICRO_SYNC=redis) to its clients', async () => {
    const redis = await startRedisServer();
    stops.push(() => redis.stop());
    const dataDir = await mkdtemp(join(tmpdir(), 'micro-sync-redis-'));
    const cp = await startControlPlane({
      address: '127.0.0.1:0',
      dataDir,
      logger: quiet,
      env: { MICRO_SYNC: 'redis', MICRO_SYNC_ADDRESS: redis.address },
    });
    stops.push(() => rm(dataDir, { recursive: true, force: true }));
    stops.push(() => cp.stop());
    const viaPlane = createMicroSync({ address: cp.address, id: 'through-the-plane' });
    const direct = createRedisSync({ address: redis.address, id: 'direct' });
    stops.push(() => viaPlane.close());
    stops.push(() => direct.close());

    const lock = await viaPlane.lock('shared');
    assert.deepEqual(
      (await direct.locks()).map((l) => [l.name, l.holder, l.token]),
      [['shared', 'through-the-plane', lock.token]],
    );
    await assert.rejects(direct.lock('shared'), (err: { code?: number }) => err.code === 409);
  });
});

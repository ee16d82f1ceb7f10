import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startControlPlane } from '../../../src/controlplane/index.ts';
import { createMicroConfig } from '../../../src/platform/config/client.ts';
import { createService } from '../../../src/platform/service.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { createClient } from '../../../src/runtime/client/rpc-client.ts';
import { errorOf, micro } from '../../helpers/cli.ts';
import { startTestControlPlane } from '../../helpers/control-plane.ts';
import { closeAll, quiet } from '../../helpers/fixtures.ts';
import { serverForTests } from '../../helpers/lifecycle.ts';
import { freePort } from '../../helpers/net.ts';

// A real control plane, a service made with micro-ts's createService, and the real micro CLI.
const address = serverForTests(() => startTestControlPlane('micro-config-svc-'));
const cli = (...args: string[]) => micro(['config', ...args, '--registry-address', address()]);

describe('service.config with the control plane and the CLI', () => {
  it('updates in place and calls back when `micro config set` runs', async (t) => {
    const registry = createMicroRegistry({ address: address() });
    const service = createService({
      name: 'billing',
      registry,
      handleSignals: false,
      logger: quiet,
      config: { defaults: { db: { pool: { max: 5 } }, region: 'eu' }, env: {} },
    });
    await service.start();
    try {
      const config = service.config;
      await config.ready;
      const value = config.value;
      assert.equal(config.get('db.pool.max'), 5);
      const changed = new Promise<{ paths: string[]; at: number }>((resolve) =>
        config.onChange((paths) => resolve({ paths, at: Date.now() })),
      );
      const run = await cli('set', 'db.pool.max', '20', '--namespace', 'billing', '-o', 'json');
      assert.equal(run.code, 0, run.stderr);
      const version = JSON.parse(run.stdout) as { version: number; author: string; at: number };
      const { paths, at } = await changed;
      assert.deepEqual(paths, ['db.pool.max']);
      assert.equal(config.value, value, 'the same object, updated in place');
      assert.deepEqual(value, { db: { pool: { max: 20 } }, region: 'eu' });
      assert.equal(config.version, version.version);
      t.diagnostic(`CLI set to service callback: ${at - version.at} ms (informal)`);

      // A change the service makes itself is recorded as made by it (ctx.from).
      const own = createMicroConfig({ client: service.client });
      const v = await own.set('region', 'us');
      assert.equal(v.author, 'billing');
      await own.close();
      const history = await cli('history', '--namespace', 'billing', '-o', 'json');
      const versions = JSON.parse(history.stdout) as { author: string; path: string }[];
      assert.deepEqual(
        versions.map((h) => [h.path, h.author]),
        [
          ['region', 'billing'],
          ['db.pool.max', version.author],
        ],
      );
    } finally {
      await closeAll(service, registry);
    }
  });

  it('prints the error shape and exits non-zero on bad input, storing nothing', async () => {
    const nul = await cli('set', 'a\u0001b', '1', '--namespace', 'cli-bad');
    assert.equal(nul.code, 1);
    assert.equal(errorOf(nul).code, 400);
    assert.match(errorOf(nul).detail, /^path "a\\u0001b": segment 1/);
    const long = await cli('get', 'x'.repeat(10_240), '--namespace', 'cli-bad');
    assert.equal(errorOf(long).code, 400);
    assert.match(errorOf(long).detail, /path is 10240 characters/);
    const missing = await cli('rollback', '7', '--namespace', 'cli-bad');
    assert.equal(missing.code, 1);
    assert.equal(errorOf(missing).code, 404);
    const none = await cli('history', '--namespace', 'cli-bad', '-o', 'json');
    assert.deepEqual(JSON.parse(none.stdout), []);
  });

  it('answers an unknown request field with a 400 naming it', async () => {
    const registry = createMicroRegistry({ address: address() });
    const client = createClient({ registry });
    try {
      await assert.rejects(
        client.call('config', 'Config.Get', { path: 'a', pth: 'b' }),
        (e: { code: number; detail: string }) => {
          assert.equal(e.code, 400);
          assert.match(
            e.detail,
            /^pth is not a field of a Config\.Get request; it takes path and namespace$/,
          );
          return true;
        },
      );
      await assert.rejects(
        client.call('config', 'Config.Set', { path: 'a' }),
        (e: { code: number; detail: string }) =>
          e.code === 400 && e.detail === 'a Config.Set request needs value',
      );
    } finally {
      await closeAll(client, registry);
    }
  });
});

describe('service.config across a control plane restart', () => {
  it('keeps its last values while the control plane is down, and catches up once it is back', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'micro-config-restart-'));
    const cpAddress = `127.0.0.1:${await freePort()}`;
    const start = () => startControlPlane({ address: cpAddress, dataDir, logger: quiet });
    let cp = await start();
    const registry = createMicroRegistry({ address: cpAddress });
    const service = createService({
      name: 'orders',
      registry,
      handleSignals: false,
      logger: quiet,
    });
    await service.start();
    const admin = () => createMicroConfig({ address: cpAddress, namespace: 'orders' });
    try {
      const config = service.config;
      await config.ready;
      let changed = nextChange(config);
      const first = admin();
      await first.set('limit', 1);
      await first.close();
      await changed;
      await cp.stop();
      assert.equal(config.get('limit'), 1, 'the last known value while the control plane is down');

      cp = await start();
      changed = nextChange(config);
      const second = admin();
      await second.set('limit', 2);
      await second.close();
      assert.deepEqual(await changed, ['limit']);
      assert.equal(config.get('limit'), 2);
    } finally {
      await closeAll(service, registry, cp);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

/** Resolves with the paths of the next change of a service's config. */
function nextChange(config: { onChange(fn: (paths: string[]) => void): () => void }) {
  return new Promise<string[]>((resolve) => {
    const off = config.onChange((paths) => {
      off();
      resolve(paths);
    });
  });
}

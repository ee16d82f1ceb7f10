import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startControlPlane } from '../../../src/controlplane/index.ts';
import { createMicroConfig } from '../../../src/platform/config/client.ts';
import { createEtcdConfig } from '../../../src/platform/config/etcd.ts';
import { runConfigCases } from '../../conformance/config.case.ts';
import { micro } from '../../helpers/cli.ts';
import { startEtcd } from '../../helpers/etcd-server.ts';
import { quiet } from '../../helpers/fixtures.ts';
import { serverForTests } from '../../helpers/lifecycle.ts';

// A real etcd (Debian's etcd-server) on 127.0.0.1, free ports and a throwaway data directory.
const address = serverForTests(startEtcd);

runConfigCases('etcd', () => createEtcdConfig({ address: address() }), { shared: true });

describe('etcd config', () => {
  it('says which etcd it tried and how to start one when nothing answers', async () => {
    const config = createEtcdConfig({ address: '127.0.0.1:1', timeout: 500 });
    await assert.rejects(config.get('a'), (e: { code: number; detail: string }) => {
      assert.equal(e.code, 503);
      assert.match(e.detail, /^no answer from etcd at 127\.0\.0\.1:1 /);
      assert.match(e.detail, /start etcd \(etcd --listen-client-urls http:\/\/127\.0\.0\.1:1 /);
      return true;
    });
    await config.close();
  });

  it('is what the control plane serves when its environment says MICRO_CONFIG=etcd', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'micro-config-cp-etcd-'));
    const cp = await startControlPlane({
      address: '127.0.0.1:0',
      dataDir,
      logger: quiet,
      env: { MICRO_CONFIG: 'etcd', MICRO_CONFIG_ADDRESS: address() },
    });
    const viaPlane = createMicroConfig({ address: cp.address });
    const direct = createEtcdConfig({ address: address() });
    try {
      const v = await viaPlane.set('served.by', 'etcd', { namespace: 'cp-etcd' });
      assert.deepEqual(await direct.get('served', { namespace: 'cp-etcd' }), {
        value: { by: 'etcd' },
        version: v.version,
      });
    } finally {
      await viaPlane.close();
      await direct.close();
      await cp.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('serves the micro CLI: config set and history --config etcd', async () => {
    const flags = ['--config', 'etcd', '--config-address', address(), '--namespace', 'cli-etcd'];
    const set = await micro(['config', 'set', 'greeting', 'hello', ...flags], {
      env: { USER: 'ann' },
    });
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, 'version 1: set greeting by ann\n');
    const direct = createEtcdConfig({ address: address() });
    try {
      assert.deepEqual(await direct.get('greeting', { namespace: 'cli-etcd' }), {
        value: 'hello',
        version: 1,
      });
    } finally {
      await direct.close();
    }
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '../../src/controlplane/index.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { RegistryErrors } from '../../src/registry/registry.ts';
import { runRegistryCases } from '../conformance/registry.case.ts';

// The control plane in this process on a free port, its client talking to it over real sockets.
const dir = mkdtempSync(join(tmpdir(), 'micro-cp-'));
let cp: ControlPlane;
before(async () => {
  cp = await startControlPlane({
    address: '127.0.0.1:0',
    dataDir: dir,
    logger: { info() {}, warn() {}, error() {} },
  });
});
after(async () => {
  await cp.stop();
  rmSync(dir, { recursive: true, force: true });
});

runRegistryCases(
  'micro (control plane)',
  (o) => createMicroRegistry({ address: cp.address, ...o }),
  {
    shared: true,
    settle: 1500,
  },
);

describe('micro registry client', () => {
  it('says which address it tried and what to do when no control plane answers', async () => {
    const r = createMicroRegistry({ address: '127.0.0.1:1', timeout: 1000 });
    await assert.rejects(r.listServices(), (e: Error & { code?: string }) => {
      assert.equal(e.code, RegistryErrors.unavailable);
      assert.match(e.message, /127\.0\.0\.1:1/);
      assert.match(e.message, /micro run/);
      return true;
    });
    await r.close();
  });

  it('lists the control plane itself as the registry service', async () => {
    const r = createMicroRegistry({ address: cp.address });
    const [svc] = await r.getService('registry');
    assert.ok(
      svc?.endpoints.some((e) => e.name === 'Registry.Watch' && e.metadata.stream === 'server'),
    );
    await r.close();
  });
});

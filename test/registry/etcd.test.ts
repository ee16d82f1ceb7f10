import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createEtcdRegistry } from '../../src/registry/etcd.ts';
import { RegistryErrors } from '../../src/registry/registry.ts';
import { runRegistryCases } from '../conformance/registry.case.ts';
import { startEtcd, type EtcdServer } from '../helpers/etcd-server.ts';

// A real etcd (Debian's etcd-server) on 127.0.0.1, free ports and a throwaway data directory.
const micro = fileURLToPath(new URL('../../bin/micro.ts', import.meta.url));
let etcd: EtcdServer | undefined;
let address = '';

before(async () => {
  etcd = await startEtcd();
  address = etcd.address;
});

after(async () => {
  await etcd?.stop();
});

runRegistryCases('etcd', (o) => createEtcdRegistry({ addresses: [address], ...o }), {
  shared: true,
  settle: 2500,
});

describe('etcd registry', () => {
  it('says which address it tried and what to do when etcd does not answer', async () => {
    const r = createEtcdRegistry({ address: '127.0.0.1:1', timeout: 1000 });
    await assert.rejects(r.listServices(), (e: Error & { code?: string }) => {
      assert.equal(e.code, RegistryErrors.unavailable);
      assert.match(e.message, /etcd at 127\.0\.0\.1:1/);
      assert.match(e.message, /start etcd \(etcd --listen-client-urls http:\/\/127\.0\.0\.1:1 /);
      return true;
    });
    await r.close();
  });

  it('names etcd and its address when a service is not found', async () => {
    const r = createEtcdRegistry({ address });
    await assert.rejects(r.getService('nobody-here'), (e: Error & { code?: string }) => {
      assert.equal(e.code, RegistryErrors.notFound);
      assert.equal(e.message, `service nobody-here not found in etcd at ${address}`);
      return true;
    });
    await r.close();
  });

  it('serves the micro CLI: list services --registry etcd', async () => {
    const r = createEtcdRegistry({ address });
    const service = {
      name: 'cli-greeter',
      version: '1.0.0',
      metadata: {},
      endpoints: [],
      nodes: [{ id: 'g1', address: '127.0.0.1:9999', metadata: {} }],
    };
    await r.register(service);
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [micro, 'list', 'services', '--registry', 'etcd', '--registry-address', address],
        { timeout: 30_000 },
      );
      assert.match(stdout, /cli-greeter/);
    } finally {
      await r.deregister(service);
      await r.close();
    }
  });

  it('drops a hostile record another program wrote, and the CLI prints none of it', async () => {
    // Written straight into etcd, as any client of it can: no micro check on the way in.
    const { Etcd3 } = await import('etcd3');
    const raw = new Etcd3({ hosts: `http://${address}` });
    const name = '\u001b[2J\u001b]0;pwned\u0007evil';
    const key = `/micro/registry/${encodeURIComponent(name)}/1.0.0/n1`;
    const value = {
      service: { name, version: '1.0.0', metadata: {}, endpoints: [] },
      node: { id: 'n1', address: '127.0.0.1:1', metadata: { path: 5 } },
    };
    await raw.put(key).value(JSON.stringify(value));
    const warnings: string[] = [];
    const r = createEtcdRegistry({ address, warn: (m) => warnings.push(m) });
    try {
      assert.ok(!(await r.listServices()).some((s) => s.name === name));
      assert.match(
        warnings.join('\n'),
        /dropped an invalid service record from etcd .*: name "\\u001b\[2J/,
      );
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [micro, 'list', 'services', '--registry', 'etcd', '--registry-address', address],
        { timeout: 30_000 },
      );
      assert.ok(!`${stdout}${stderr}`.includes('\u001b'), JSON.stringify(stdout + stderr));
      assert.doesNotMatch(stdout, /evil/);
      assert.match(stderr, /MICRO_ERR_REGISTRY_INVALID.*dropped an invalid service record/);
    } finally {
      await raw.delete().key(key);
      raw.close();
      await r.close();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEtcdRegistry } from '../../src/registry/etcd.ts';
import { runRegistryCases } from '../conformance/registry.case.ts';
import { micro } from '../helpers/cli.ts';
import { startEtcd } from '../helpers/etcd-server.ts';
import { serverForTests } from '../helpers/lifecycle.ts';

// A real etcd (Debian's etcd-server) on 127.0.0.1, free ports and a throwaway data directory.
const address = serverForTests(startEtcd);

runRegistryCases('etcd', (o) => createEtcdRegistry({ addresses: [address()], ...o }), {
  settle: 2500,
  engine: {
    where: 'etcd',
    address,
    connect: createEtcdRegistry,
    advice: /start etcd \(etcd --listen-client-urls http:\/\/127\.0\.0\.1:1 /,
    flag: 'etcd',
  },
});

describe('etcd registry', () => {
  it('drops a hostile record another program wrote, and the CLI prints none of it', async () => {
    // Written straight into etcd, as any client of it can: no micro check on the way in.
    const { Etcd3 } = await import('etcd3');
    const raw = new Etcd3({ hosts: `http://${address()}` });
    const name = '\u001b[2J\u001b]0;pwned\u0007evil';
    const key = `/micro/registry/${encodeURIComponent(name)}/1.0.0/n1`;
    const value = {
      service: { name, version: '1.0.0', metadata: {}, endpoints: [] },
      node: { id: 'n1', address: '127.0.0.1:1', metadata: { path: 5 } },
    };
    await raw.put(key).value(JSON.stringify(value));
    const warnings: string[] = [];
    const r = createEtcdRegistry({ address: address(), warn: (m) => warnings.push(m) });
    try {
      assert.ok(!(await r.listServices()).some((s) => s.name === name));
      assert.match(
        warnings.join('\n'),
        /dropped an invalid service record from etcd .*: name "\\u001b\[2J/,
      );
      const { code, stdout, stderr } = await micro([
        'list',
        'services',
        '--registry',
        'etcd',
        '--registry-address',
        address(),
      ]);
      assert.equal(code, 0, stderr);
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

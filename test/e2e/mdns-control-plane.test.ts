import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient } from '../../src/runtime/index.ts';
import { scratchDir } from '../helpers/lifecycle.ts';
import { assertIsolated, currentNamespace, rerunInNamespace } from '../helpers/netns.ts';
import { startNode, stopAll } from '../helpers/proc.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

if (!currentNamespace())
  rerunInNamespace(fileURLToPath(import.meta.url), 'a control plane found over mDNS');
else {
  assertIsolated();
  describe('micro registry --mdns', () => {
    after(stopAll);
    const dataDir = scratchDir('micro-mdns-cp-');

    it('announces itself, so that a service and a client with MICRO_REGISTRY_ADDRESS=mdns find it and each other', async () => {
      const plane = startNode(`${root}bin/micro.ts`, [
        'registry',
        '--mdns',
        '--registry-address',
        '127.0.0.1:18800',
        '--data-dir',
        dataDir,
      ]);
      await plane.waitFor(/mdns\s+announcing/);
      const greeter = startNode(`${root}examples/greeter/service.ts`, [], {
        MICRO_REGISTRY: 'micro',
        MICRO_REGISTRY_ADDRESS: 'mdns',
      });
      await greeter.waitFor(/listening on .*registry: micro at mdns/);
      const registry = createMicroRegistry({ address: 'mdns' });
      const client = createClient({ registry });
      assert.deepEqual(await client.call('greeter', 'Say.Hello', { name: 'LAN' }), {
        msg: 'Hello LAN',
      });
      const names = (await registry.listServices()).map((s) => s.name).sort();
      assert.deepEqual(names, [
        'audit',
        'auth',
        'config',
        'db',
        'events',
        'greeter',
        'logs',
        'metrics',
        'monitor',
        'registry',
        'store',
        'sync',
        'trace',
      ]);
      await client.close();
      await registry.close();
    });

    it('says how to fix it when no control plane announced itself', async () => {
      await stopAll();
      const registry = createMicroRegistry({ address: 'mdns', timeout: 500 });
      await assert.rejects(registry.listServices(), /micro run --mdns/);
      await registry.close();
    });
  });
}

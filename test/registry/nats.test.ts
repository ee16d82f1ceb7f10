import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createNatsRegistry } from '../../src/registry/nats.ts';
import { RegistryErrors } from '../../src/registry/registry.ts';
import { runRegistryCases } from '../conformance/registry.case.ts';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.ts';

// A real nats-server (Debian's nats-server) on 127.0.0.1 with free ports.
const micro = fileURLToPath(new URL('../../bin/micro.ts', import.meta.url));
let server: NatsServer | undefined;
let address = '';

before(async () => {
  server = await startNatsServer();
  address = server.address;
});

after(async () => {
  await server?.stop();
});

runRegistryCases('nats', () => createNatsRegistry({ addresses: [address] }), {
  shared: true,
  settle: 1500,
});

describe('nats registry', () => {
  it('says which address it tried and what to do when NATS does not answer', async () => {
    const r = createNatsRegistry({ address: '127.0.0.1:1', timeout: 1000 });
    await assert.rejects(r.listServices(), (e: Error & { code?: string }) => {
      assert.equal(e.code, RegistryErrors.unavailable);
      assert.match(e.message, /NATS at 127\.0\.0\.1:1/);
      assert.match(e.message, /start nats-server/);
      return true;
    });
    await r.close();
  });

  it('names NATS and its address when a service is not found', async () => {
    const r = createNatsRegistry({ address });
    await assert.rejects(r.getService('nobody-here'), (e: Error & { code?: string }) => {
      assert.equal(e.code, RegistryErrors.notFound);
      assert.equal(e.message, `service nobody-here not found in NATS at ${address}`);
      return true;
    });
    await r.close();
  });

  it('serves the micro CLI: list services --registry nats', async () => {
    const r = createNatsRegistry({ address });
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
        [micro, 'list', 'services', '--registry', 'nats', '--registry-address', address],
        { timeout: 30_000 },
      );
      assert.match(stdout, /cli-greeter/);
    } finally {
      await r.deregister(service);
      await r.close();
    }
  });
});

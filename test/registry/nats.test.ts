import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createNatsRegistry } from '../../src/registry/nats.ts';
import { RegistryErrors } from '../../src/registry/registry.ts';
import { runRegistryCases } from '../conformance/registry.case.ts';

// A real nats-server (Debian's nats-server) on 127.0.0.1 with free client and monitoring ports.
const micro = fileURLToPath(new URL('../../bin/micro.ts', import.meta.url));
let nats: ChildProcess | undefined;
let address = '';

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

before(async () => {
  const [client, monitor] = [await freePort(), await freePort()];
  address = `127.0.0.1:${client}`;
  let output = '';
  nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(client), '-m', String(monitor)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  nats.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  nats.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<never>((_, reject) => {
    nats?.on('error', (e) =>
      reject(new Error(`nats-server could not start (${e.message}): install nats-server`)),
    );
    nats?.on('exit', (code) =>
      reject(new Error(`nats-server exited (${code}): ${output.slice(-2000)}`)),
    );
  });
  const deadline = Date.now() + 15_000;
  const healthy = (async () => {
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${monitor}/healthz`, {
          signal: AbortSignal.timeout(1000),
        });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`nats-server not healthy within 15 s: ${output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  await Promise.race([healthy, exited]);
});

after(async () => {
  const p = nats;
  if (p?.pid !== undefined && p.exitCode === null) {
    const gone = new Promise((r) => p.once('exit', r));
    process.kill(p.pid, 'SIGTERM');
    await gone;
  }
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

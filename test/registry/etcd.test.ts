import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createEtcdRegistry } from '../../src/registry/etcd.ts';
import { RegistryErrors } from '../../src/registry/registry.ts';
import { runRegistryCases } from '../conformance/registry.case.ts';

// A real etcd (Debian's etcd-server) on 127.0.0.1, free ports and a throwaway data directory.
const micro = fileURLToPath(new URL('../../bin/micro.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'micro-etcd-'));
let etcd: ChildProcess | undefined;
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
  const [client, peer] = [await freePort(), await freePort()];
  address = `127.0.0.1:${client}`;
  let output = '';
  // Short election and heartbeat times let etcd grant one-second leases (its minimum is 1.5 elections).
  etcd = spawn(
    'etcd',
    [
      '--name=micro-test',
      `--data-dir=${dir}/data`,
      `--listen-client-urls=http://${address}`,
      `--advertise-client-urls=http://${address}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=micro-test=http://127.0.0.1:${peer}`,
      '--heartbeat-interval=50',
      '--election-timeout=250',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  etcd.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  etcd.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<never>((_, reject) => {
    etcd?.on('error', (e) =>
      reject(new Error(`etcd could not start (${e.message}): install etcd-server`)),
    );
    etcd?.on('exit', (code) => reject(new Error(`etcd exited (${code}): ${output.slice(-2000)}`)));
  });
  const deadline = Date.now() + 15_000;
  const healthy = (async () => {
    for (;;) {
      try {
        const res = await fetch(`http://${address}/health`, { signal: AbortSignal.timeout(1000) });
        if (res.ok && ((await res.json()) as { health?: string }).health === 'true') return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`etcd not healthy within 15 s: ${output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  await Promise.race([healthy, exited]);
});

after(async () => {
  const p = etcd;
  if (p?.pid !== undefined && p.exitCode === null) {
    const gone = new Promise((r) => p.once('exit', r));
    process.kill(p.pid, 'SIGTERM');
    await gone;
  }
  rmSync(dir, { recursive: true, force: true });
});

runRegistryCases('etcd', () => createEtcdRegistry({ addresses: [address] }), {
  shared: true,
  settle: 2500,
});

describe('etcd registry', () => {
  it('says which address it tried and what to do when etcd does not answer', async () => {
    const r = createEtcdRegistry({ address: '127.0.0.1:1', timeout: 1000 });
    await assert.rejects(r.listServices(), (e: Error & { code?: string }) => {
      assert.equal(e.code, RegistryErrors.unavailable);
      assert.match(e.message, /etcd at 127\.0\.0\.1:1/);
      assert.match(e.message, /start etcd/);
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
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient, type Client } from '../../src/runtime/index.ts';
import { freePort } from '../helpers/net.ts';
import { startNode, stopAll, type Child } from '../helpers/proc.ts';
import { spawn } from 'node:child_process';

const root = fileURLToPath(new URL('../..', import.meta.url));
const micro = `${root}bin/micro.ts`;

describe('a Python service and a Python client, through the sidecar', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'micro-sidecar-'));
  let env: NodeJS.ProcessEnv;
  let registry: ReturnType<typeof createMicroRegistry>;
  let client: Client;
  let python: ReturnType<typeof spawn>;
  let sidecar: Child;
  let sidecarAddress = '';

  before(async () => {
    env = { MICRO_REGISTRY_ADDRESS: `127.0.0.1:${await freePort()}`, MICRO_DATA_DIR: dataDir };
    await startNode(micro, ['registry'], env).waitFor(/registry\s+127/);
    registry = createMicroRegistry({ address: env.MICRO_REGISTRY_ADDRESS });
    client = createClient({ registry });
    const appPort = await freePort();
    python = spawn('python3', [`${root}examples/greeter-python/greeter.py`, String(appPort)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) =>
      python.stdout?.on('data', (d: Buffer) => /listening/.test(d.toString()) && resolve()),
    );
    const registered = (async () => {
      for await (const ev of registry.watch({ service: 'greeter-py' }))
        if (ev.action === 'create') return;
    })();
    sidecarAddress = `127.0.0.1:${await freePort()}`;
    sidecar = startNode(
      micro,
      [
        'sidecar',
        '--sidecar-address',
        sidecarAddress,
        '--server-name',
        'greeter-py',
        '--server-address',
        `127.0.0.1:${appPort}`,
        '--healthcheck-url',
        `http://127.0.0.1:${appPort}/health`,
        '--healthcheck-interval',
        '300ms',
      ],
      env,
    );
    await sidecar.waitFor(/sidecar listening/);
    await registered;
  });
  after(async () => {
    python.kill();
    await client.close();
    await registry.close();
    await stopAll();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is callable with micro call', () => {
    const out = execFileSync(
      process.execPath,
      [micro, 'call', 'greeter-py', 'Say.Hello', '{"name":"Ann"}'],
      { env: { ...process.env, ...env }, encoding: 'utf8' },
    );
    assert.deepEqual(JSON.parse(out), { msg: 'Hello Ann', from: 'python' });
  });

  it('is callable from the TypeScript client, errors included', async () => {
    assert.deepEqual(await client.call('greeter-py', 'Say.Hello', { name: 'Bo' }), {
      msg: 'Hello Bo',
      from: 'python',
    });
    await assert.rejects(
      client.call('greeter-py', 'Say.Hello', { name: 5 }),
      (e: Error & { code?: number }) => e.code === 400,
    );
  });

  it('is callable through the API gateway', async () => {
    const apiAddress = `127.0.0.1:${await freePort()}`;
    const api = startNode(micro, ['api', '--api-address', apiAddress], env);
    await api.waitFor(/127\.0\.0\.1/);
    const res = await fetch(`http://${apiAddress}/greeter-py/say/hello`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"Gia"}',
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { msg: 'Hello Gia', from: 'python' });
    await api.stop();
  });

  it('is callable through the sidecar itself', async () => {
    const res = await fetch(`http://${sidecarAddress}/greeter-py/Say.Hello`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"Cy"}',
    });
    assert.deepEqual(await res.json(), { msg: 'Hello Cy', from: 'python' });
  });

  it('lets the Python client call the TypeScript greeter through the sidecar', async () => {
    const greeter = startNode(`${root}examples/greeter/service.ts`, [], {
      ...env,
      MICRO_REGISTRY: 'micro',
    });
    await greeter.waitFor(/listening on/);
    const out = execFileSync(
      'python3',
      [`${root}examples/client-python/client.py`, sidecarAddress, 'Dee'],
      { encoding: 'utf8' },
    );
    assert.deepEqual(JSON.parse(out), { msg: 'Hello Dee' });
    await greeter.stop();
  });

  it('takes the Python service out of the registry within the health interval once it stops', async () => {
    const watch = registry.watch({ service: 'greeter-py' });
    const removed = (async () => {
      for await (const ev of watch) if (ev.action === 'delete') return Date.now();
      return 0;
    })();
    // A write through the same registry client waits until its watches are live on the server, so
    // the deregistration cannot come before the watch is there to see it.
    const marker = {
      name: 'watch-ready',
      nodes: [{ id: 'm', address: '127.0.0.1:9', metadata: {} }],
    };
    await registry.register({ version: '', metadata: {}, endpoints: [], ...marker });
    await registry.deregister({ version: '', metadata: {}, endpoints: [], ...marker });
    const stopped = Date.now();
    python.kill('SIGTERM');
    const at = await removed;
    assert.ok(at - stopped < 1500, `removed ${at - stopped} ms after it stopped (interval 300 ms)`);
    assert.match(sidecar.lines.join('\n'), /failed its health check/);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { openDatabase } from '../../src/registry/sqlite.ts';
import type { Service } from '../../src/registry/registry.ts';
import { createClient } from '../../src/runtime/index.ts';
import { startNode, stopAll } from '../helpers/proc.ts';
import { freePort } from '../helpers/net.ts';
import { quietService, record } from '../helpers/fixtures.ts';

const micro = fileURLToPath(new URL('../../bin/micro.ts', import.meta.url));

/** A record with one node, `<name>-n`, at port 20000 + i. */
const service = (name: string, i: number): Service =>
  record(name, { node: `${name}-n`, address: `127.0.0.1:${20000 + i}` });

describe('the control plane under failure', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'micro-cp-'));
    dirs.push(d);
    return d;
  };
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const close of closers.reverse()) await close();
    await stopAll();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('survives SIGKILL with 100 services: registrations and remaining leases kept, calls keep flowing from caches', async () => {
    const dataDir = tmp();
    const address = `127.0.0.1:${await freePort()}`;
    const start = () =>
      startNode(micro, ['registry', '--registry-address', address, '--data-dir', dataDir]);
    let plane = start();
    await plane.waitFor(/registry\s+127/);
    const registry = createMicroRegistry({ address });
    for (let i = 0; i < 100; i++) await registry.register(service(`svc-${i}`, i), { ttl: 120_000 });
    // Long enough to outlive the restart on a loaded machine, short enough to wait for.
    const SHORT = 6000;
    await registry.register(service('short-lease', 999), { ttl: SHORT });
    const leased = Date.now();
    closers.push(() => registry.close());

    const greeter = quietService({ name: 'greeter', registry: createMicroRegistry({ address }) });
    greeter.handle('Say', {
      async Hello(req: { name: string }) {
        return { msg: `Hello ${req.name}` };
      },
    });
    await greeter.start();
    closers.push(() => greeter.stop());
    const client = createClient({ registry: createMicroRegistry({ address }) });
    closers.push(() => client.close());
    assert.deepEqual(await client.call('greeter', 'Say.Hello', { name: 'before' }), {
      msg: 'Hello before',
    });

    await plane.stop('SIGKILL');
    for (let i = 0; i < 20; i++) {
      assert.deepEqual(await client.call('greeter', 'Say.Hello', { name: `during ${i}` }), {
        msg: `Hello during ${i}`,
      });
    }

    plane = start();
    await plane.waitFor(/registry\s+127/);
    const names = new Set((await registry.listServices()).map((s) => s.name));
    for (let i = 0; i < 100; i++) assert.ok(names.has(`svc-${i}`), `svc-${i} survived`);
    assert.ok(names.has('greeter'));
    const restarted = Date.now() - leased;
    assert.ok(
      names.has('short-lease'),
      `a lease that has not run out is still there (restarted ${restarted} ms after the grant)`,
    );
    // The short lease ends when it was granted plus its TTL, not a TTL after the restart.
    const w = registry.watch({ service: 'short-lease' });
    for await (const ev of w) {
      if (ev.action === 'delete') break;
    }
    const lasted = Date.now() - leased;
    assert.ok(lasted < SHORT + 1500, `expired ${lasted} ms after it was granted`);
    assert.deepEqual(await client.call('greeter', 'Say.Hello', { name: 'after' }), {
      msg: 'Hello after',
    });
  });

  it('forgets a node that stops heartbeating once its TTL has passed', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    await startNode(micro, [
      'registry',
      '--registry-address',
      address,
      '--data-dir',
      tmp(),
    ]).waitFor(/registry\s+127/);
    const registry = createMicroRegistry({ address });
    const w = registry.watch({ service: 'silent' });
    const granted = Date.now();
    await registry.register(service('silent', 1), { ttl: 800 });
    const seen: string[] = [];
    for await (const ev of w) {
      seen.push(ev.action);
      if (ev.action === 'delete') break;
    }
    const gone = Date.now() - granted;
    assert.deepEqual(seen, ['create', 'delete']);
    assert.ok(gone >= 800 && gone < 2500, `gone after ${gone} ms`);
    await assert.rejects(registry.getService('silent'));
    await registry.close();
  });

  it('lets two micro processes start at once on a fresh data directory without corrupting it', async () => {
    const dataDir = tmp();
    const [a, b] = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
    const one = startNode(micro, ['registry', '--registry-address', a, '--data-dir', dataDir]);
    const two = startNode(micro, ['registry', '--registry-address', b, '--data-dir', dataDir]);
    await Promise.all([one.waitFor(/registry\s+127/), two.waitFor(/registry\s+127/)]);
    for (const address of [a, b]) {
      const r = createMicroRegistry({ address });
      await r.register(service(`from-${address.replace(':', '-')}`, 1), { ttl: 60_000 });
      await r.close();
    }
    await one.stop('SIGTERM');
    await two.stop('SIGTERM');
    const db = openDatabase(join(dataDir, 'micro.db'));
    assert.equal(
      (db.pragma('integrity_check') as { integrity_check: string }[])[0]?.integrity_check,
      'ok',
    );
    db.close();
  });

  it('says clearly that the port is taken when micro is already running there', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const first = startNode(micro, [
      'registry',
      '--registry-address',
      address,
      '--data-dir',
      tmp(),
    ]);
    await first.waitFor(/registry\s+127/);
    const second = startNode(micro, [
      'registry',
      '--registry-address',
      address,
      '--data-dir',
      tmp(),
    ]);
    assert.equal(await second.exited, 1);
    const error = JSON.parse(second.lines.join('').replace(/^stderr: /, '')) as {
      code: number;
      detail: string;
    };
    assert.equal(error.code, 409);
    assert.match(
      error.detail,
      /in use \(is another "micro run" or "micro registry" running, or a "micro run \.\/service" that started one because none answered\?\)/,
    );
    assert.match(error.detail, /another address with --registry-address/);
  });

  it('names --control-address when micro run finds its control-plane port taken', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => taken.close(() => r())));
    const address = `127.0.0.1:${(taken.address() as AddressInfo).port}`;
    const run = startNode(micro, ['run', '--no-api', '--data-dir', tmp()], {
      MICRO_REGISTRY_ADDRESS: address,
      MICRO_WEB_ADDRESS: `127.0.0.1:${await freePort()}`,
    });
    assert.equal(await run.exited, 1);
    const error = JSON.parse(run.lines.join('').replace(/^stderr: /, '')) as {
      code: number;
      detail: string;
    };
    assert.equal(error.code, 409);
    assert.match(error.detail, new RegExp(`${address.replaceAll('.', '\\.')} is in use`));
    assert.match(
      error.detail,
      /start this one at another address with --control-address \(MICRO_CONTROL_ADDRESS\)/,
    );
  });
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient, type Client } from '../../src/runtime/index.ts';
import { startNode, stopAll, type Child } from '../helpers/proc.ts';
import { freePort } from '../helpers/net.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const micro = `${root}bin/micro.ts`;

describe('micro run, new, ps, kill and logs', () => {
  const work = mkdtempSync(join(tmpdir(), 'micro-run-'));
  const dataDir = join(work, 'data');
  let address = '';
  let env: NodeJS.ProcessEnv;
  let plane: Child;
  let registry: ReturnType<typeof createMicroRegistry>;
  let client: Client;
  const cli = (...args: string[]) =>
    execFileSync(process.execPath, [micro, ...args], {
      cwd: work,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 30_000,
      stdio: 'pipe',
    });

  before(async () => {
    address = `127.0.0.1:${await freePort()}`;
    env = { MICRO_REGISTRY_ADDRESS: address, MICRO_DATA_DIR: dataDir };
    plane = startNode(micro, ['run'], env);
    await plane.waitFor(new RegExp(`registry\\s+${address.replaceAll('.', '\\.')}`));
    registry = createMicroRegistry({ address });
    client = createClient({ registry });
  });
  after(async () => {
    await client.close();
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('scaffolds a service whose own test passes', () => {
    const out = cli('new', 'greeter');
    assert.match(out, /created greeter\//);
    for (const f of ['main.ts', 'handler.ts', 'handler.test.ts', 'package.json', 'README.md']) {
      assert.ok(existsSync(join(work, 'greeter', f)), f);
    }
    const { NODE_TEST_CONTEXT: _nested, ...plain } = process.env;
    const test = execFileSync(process.execPath, ['--test'], {
      cwd: join(work, 'greeter'),
      encoding: 'utf8',
      env: plain,
    });
    assert.match(test, /pass 1/);
    assert.throws(() => cli('new', 'greeter'), /not empty/);
    assert.throws(() => cli('new', 'Bad Name'), /not a service name/);
  });

  it('runs the scaffold in the foreground with no npm install, and it answers', async () => {
    const svc = startNode(micro, ['run', './greeter'], env, { cwd: work });
    await svc.waitFor(/greeter-\S+ listening on/);
    assert.deepEqual(await client.call('greeter', 'Say.Hello', { name: 'Ann' }), {
      msg: 'Hello Ann',
    });
    const [s] = await registry.getService('greeter');
    const hello = s?.endpoints.find((e) => e.name === 'Say.Hello');
    assert.deepEqual(hello?.request?.required, ['name'], 'schemas are advertised');
    assert.equal(await svc.stop('SIGINT'), 0, 'Ctrl-C stops it cleanly');
    await assert.rejects(registry.getService('greeter'), 'and it deregistered');
  });

  it('stops the service cleanly when micro run itself is killed', async () => {
    const runner = startNode(micro, ['run', './greeter'], env, { cwd: work });
    await runner.waitFor(/greeter-\S+ listening on/);
    const watch = registry.watch({ service: 'greeter' });
    const gone = (async () => {
      for await (const ev of watch) if (ev.action === 'delete') return;
    })();
    // A write through the same registry client waits until its watches are live on the server:
    // the service cannot deregister before the watch is there to see it.
    const marker = {
      name: 'watch-ready',
      version: '',
      metadata: {},
      endpoints: [],
      nodes: [{ id: 'm', address: '127.0.0.1:9', metadata: {} }],
    };
    await registry.register(marker);
    await registry.deregister(marker);
    await runner.stop('SIGKILL');
    await gone; // the orphaned service noticed, deregistered and stopped
  });

  it('supervises a detached service: ps, restart after a crash, logs, kill', async () => {
    assert.match(cli('run', '-d', './greeter', '--name', 'bg'), /bg is running \(pid \d+\)/);
    const first = JSON.parse(cli('ps', '--output', 'json')) as { name: string; pid: number }[];
    const bg = first.find((p) => p.name === 'bg');
    assert.ok(bg?.pid);
    const follow = startNode(micro, ['logs', 'bg', '-f'], env);
    await follow.waitFor(/listening on/);
    process.kill(bg.pid, 'SIGKILL');
    await follow.waitFor(/killed by SIGKILL; restarting/);
    const crash = follow.lines.findIndex((l) => /killed by SIGKILL/.test(l));
    await follow.waitFor(/listening on/, 10_000, crash);
    const again = JSON.parse(cli('ps', '--output', 'json')) as {
      name: string;
      pid: number;
      restarts: number;
    }[];
    const restarted = again.find((p) => p.name === 'bg');
    assert.equal(restarted?.restarts, 1);
    assert.notEqual(restarted?.pid, bg.pid);
    assert.match(cli('ps'), /bg\s+running/);
    assert.match(cli('kill', 'bg'), /bg stopped/);
    assert.match(cli('ps'), /no services are running/);
    await follow.stop();
  });

  it('explains what to do when micro is not running', () => {
    let err = '';
    try {
      cli('ps', '--registry-address', '127.0.0.1:1');
    } catch (e) {
      err = String((e as { stderr: string }).stderr);
    }
    const shape = JSON.parse(err) as { code: number; detail: string };
    assert.equal(shape.code, 503);
    assert.match(shape.detail, /micro run/);
  });

  it('says what is wrong with what it was asked to run: 404 for no such path, 400 for no entry file', () => {
    const errorOf = (...args: string[]): { code: number; detail: string } => {
      try {
        cli(...args);
      } catch (e) {
        return JSON.parse(String((e as { stderr: string }).stderr)) as {
          code: number;
          detail: string;
        };
      }
      return assert.fail(`micro ${args.join(' ')} succeeded`);
    };
    const missing = errorOf('run', join(work, 'nosuchdir'));
    assert.equal(missing.code, 404);
    assert.match(missing.detail, /nosuchdir does not exist/);
    const empty = errorOf('run', work);
    assert.equal(empty.code, 400);
    assert.match(empty.detail, /no entry file in .*: add one of main\.ts/);
  });

  it('stops cleanly on Ctrl-C', async () => {
    assert.equal(await plane.stop('SIGINT'), 0);
  });
});

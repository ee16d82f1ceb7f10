import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { Registry, Service } from '../../src/registry/registry.ts';
import { createClient, type Client } from '../../src/runtime/index.ts';
import { record } from '../helpers/fixtures.ts';
import { freePort } from '../helpers/net.ts';
import { startNode, stopAll, type Child } from '../helpers/proc.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = `${root}bin/micro.ts`;

/** Runs micro in `cwd` with `env` over this process's, and returns what it printed; throws when it fails. */
function micro(cwd: string, env: NodeJS.ProcessEnv, args: string[]): string {
  return execFileSync(process.execPath, [bin, ...args], {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
    stdio: 'pipe',
  });
}

/** Returns once the watches of `registry` are live: a write through the same client waits for them. */
async function watchesLive(registry: Registry): Promise<void> {
  const marker = record('watch-ready', { version: '', node: 'm' });
  await registry.register(marker);
  await registry.deregister(marker);
}

describe('micro run, new, ps, kill and logs', () => {
  const work = mkdtempSync(join(tmpdir(), 'micro-run-'));
  const dataDir = join(work, 'data');
  let address = '';
  let env: NodeJS.ProcessEnv;
  let plane: Child;
  let registry: ReturnType<typeof createMicroRegistry>;
  let client: Client;
  const cli = (...args: string[]) => micro(work, env, args);

  /** Runs micro to its end, failing or not. */
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [bin, ...args], {
      cwd: work,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
  const psOf = (name: string) =>
    (JSON.parse(cli('ps', '--output', 'json')) as { name: string; pid: number }[]).find(
      (p) => p.name === name,
    );

  before(async () => {
    address = `127.0.0.1:${await freePort()}`;
    env = { MICRO_REGISTRY_ADDRESS: address, MICRO_DATA_DIR: dataDir };
    plane = startNode(bin, ['run'], env);
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
    // What its npm test runs: micro test, which gives it the framework and Zod.
    const test = execFileSync(process.execPath, [bin, 'test'], {
      cwd: join(work, 'greeter'),
      encoding: 'utf8',
      env: plain,
    });
    assert.match(test, /pass 1/);
    assert.throws(() => cli('new', 'greeter'), /not empty/);
    assert.throws(() => cli('new', 'Bad Name'), /not a service name/);
  });

  it('runs the scaffold in the foreground with no npm install, and it answers', async () => {
    const svc = startNode(bin, ['run', './greeter'], env, { cwd: work });
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
    const runner = startNode(bin, ['run', './greeter'], env, { cwd: work });
    await runner.waitFor(/greeter-\S+ listening on/);
    const watch = registry.watch({ service: 'greeter' });
    const gone = (async () => {
      for await (const ev of watch) if (ev.action === 'delete') return;
    })();
    // The service cannot deregister before the watch is there to see it.
    await watchesLive(registry);
    await runner.stop('SIGKILL');
    await gone; // the orphaned service noticed, deregistered and stopped
  });

  it('supervises a detached service: ps, restart after a crash, logs, kill', async () => {
    assert.match(cli('run', '-d', './greeter', '--name', 'bg'), /bg is running \(pid \d+\)/);
    const first = JSON.parse(cli('ps', '--output', 'json')) as { name: string; pid: number }[];
    const bg = first.find((p) => p.name === 'bg');
    assert.ok(bg?.pid);
    const follow = startNode(bin, ['logs', 'bg', '-f', '--file'], env);
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

  it('removes a service killed with kill -9 from the registry at once, not after its TTL', async () => {
    assert.match(cli('run', '-d', './greeter', '--name', 'crashy'), /crashy is running/);
    const pid = String(psOf('crashy')?.pid);
    const has = (s: Service): boolean => s.nodes.some((n) => n.metadata.pid === pid);
    // run -d said "running" only once the service had registered.
    assert.ok(
      (await registry.getService('greeter')).some(has),
      'registered before run -d returned',
    );
    const watch = registry.watch({ service: 'greeter' });
    const gone = (async () => {
      for await (const ev of watch) if ((ev.action === 'delete') === has(ev.service)) return;
    })();
    await watchesLive(registry);
    const killed = Date.now();
    process.kill(Number(pid), 'SIGKILL');
    // Its lease is 30 s: a node still listed after 8 s was left to expire.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('the dead node was still listed after 8 s')), 8000);
    });
    await Promise.race([gone, late]).finally(() => clearTimeout(timer));
    watch.stop();
    assert.ok(Date.now() - killed < 8000);
    const left = await registry.getService('greeter').catch(() => []);
    assert.ok(!left.some(has), 'no node of the dead process is listed');
  });

  it('micro logs separates runs, and takes --tail/-n, --since and --follow', async () => {
    // crashy was killed once above: two runs, and the supervisor's line between them.
    const restart = startNode(bin, ['logs', 'crashy', '-f', '--file'], env);
    await restart.waitFor(/killed by SIGKILL; restarting/);
    const crash = restart.lines.findIndex((l) => /killed by SIGKILL/.test(l));
    await restart.waitFor(/listening on/, 15_000, crash);
    await restart.stop();
    const full = cli('logs', '--file', 'crashy').trimEnd().split('\n');
    const runs = full.filter((l) => /^--- run started \S+, pid \d+ ---$/.test(l));
    assert.equal(runs.length, 2, full.join('\n'));
    assert.match(runs[1] ?? '', new RegExp(`pid ${psOf('crashy')?.pid} ---`), 'its pid now');
    assert.ok(
      full.findIndex((l) => /killed by SIGKILL; restarting/.test(l)) < full.indexOf(runs[1] ?? ''),
    );
    assert.deepEqual(
      cli('logs', '--file', 'crashy', '-n', '2').trimEnd().split('\n'),
      full.slice(-2),
    );
    assert.deepEqual(
      cli('logs', '--file', 'crashy', '--tail', '1').trimEnd().split('\n'),
      full.slice(-1),
    );
    // Since the second run started: its separator comes first, nothing of the first run.
    const second = /started (\S+),/.exec(runs[1] ?? '')?.[1] ?? '';
    const since = cli('logs', '--file', 'crashy', '--since', second).trimEnd().split('\n');
    assert.deepEqual(since, full.slice(full.indexOf(runs[1] ?? '')));
    assert.deepEqual(cli('logs', '--file', 'crashy', '--since', '1h').trimEnd().split('\n'), full);
    assert.equal(cli('logs', '--file', 'crashy', '--since', '2099-01-01T00:00:00Z'), '');
    const bad = run('logs', '--file', 'crashy', '--since', 'yesterday-ish');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /neither a duration/);

    const follow = startNode(bin, ['logs', 'crashy', '-f', '-n', '1', '--file'], env);
    await follow.waitFor(/./);
    assert.equal(follow.lines[0], full.at(-1));
    cli('publish', 'greeter.greetings', '{"name":"Dee"}');
    await follow.waitFor(/greeted Dee/);
    assert.equal(follow.lines.length, 2, follow.lines.join('\n'));
    await follow.stop();
    assert.match(cli('kill', 'crashy'), /crashy stopped/);
  });

  it('micro run -d fails, with the last lines, for a service that exits before registering', () => {
    mkdirSync(join(work, 'broken'));
    writeFileSync(
      join(work, 'broken', 'main.ts'),
      "console.log('starting');\nconsole.error('boom: no database');\nprocess.exit(3);\n",
    );
    const r = run('run', '-d', './broken');
    assert.equal(r.status, 1, r.stdout);
    assert.doesNotMatch(r.stdout, /is running/);
    assert.match(r.stderr, /boom: no database/);
    const e = JSON.parse(r.stderr.trim().split('\n').at(-1) ?? '') as { detail: string };
    assert.match(e.detail, /broken exited before it registered \(exit code 3\)/);
    assert.equal(psOf('broken'), undefined, 'micro does not keep restarting it');
  });

  it('micro run -d fails for a service that does not register within --wait, and leaves it running', () => {
    mkdirSync(join(work, 'idle'));
    writeFileSync(
      join(work, 'idle', 'main.ts'),
      "console.log('idling');\nsetInterval(() => {}, 1000);\n",
    );
    const r = run('run', '-d', './idle', '--wait', '1');
    assert.equal(r.status, 1, r.stdout);
    // Its output so far (it may not have printed yet on a busy machine), from its run's start.
    assert.match(r.stderr, /the last lines of idle:\n {2}--- run started \S+, pid \d+ ---\n/);
    const e = JSON.parse(r.stderr.trim().split('\n').at(-1) ?? '') as { detail: string };
    assert.match(e.detail, /idle did not register within 1 s; it still runs under micro/);
    assert.ok(psOf('idle')?.pid);
    assert.match(cli('kill', 'idle'), /idle stopped/);
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

/** The service once it has registered (now or within 15 s), seen through a live watch. */
async function registered(
  registry: ReturnType<typeof createMicroRegistry>,
  name: string,
): Promise<Service> {
  const watch = registry.watch({ service: name });
  let timer: NodeJS.Timeout | undefined;
  try {
    await watchesLive(registry);
    const [now] = await registry.getService(name).catch(() => []);
    if (now?.nodes.length) return now;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${name} did not register within 15 s`)), 15_000);
    });
    const seen = (async () => {
      for await (const ev of watch) if (ev.action !== 'delete') return ev.service;
      throw new Error('the watch ended');
    })();
    return await Promise.race([seen, late]);
  } finally {
    clearTimeout(timer);
    watch.stop();
  }
}

describe('micro run keeps its background services across restarts', () => {
  const work = mkdtempSync(join(tmpdir(), 'micro-restore-'));
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => micro(work, env, args);
  const names = () =>
    (JSON.parse(cli('ps', '--output', 'json')) as { name: string; status: string }[])
      .map((p) => `${p.name} ${p.status}`)
      .sort();
  const start = async (): Promise<Child> => {
    const plane = startNode(bin, ['run', '--no-api'], env);
    await plane.waitFor(/Press Ctrl-C/, 20_000);
    return plane;
  };

  before(async () => {
    env = {
      MICRO_REGISTRY_ADDRESS: `127.0.0.1:${await freePort()}`,
      MICRO_WEB_ADDRESS: `127.0.0.1:${await freePort()}`,
      MICRO_DATA_DIR: join(work, 'data'),
    };
    for (const name of ['keep', 'gone']) cli('new', name);
  });
  after(async () => {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('starts the services of micro run -d again, forgets those killed or no longer on disk', async () => {
    let plane = await start();
    for (const args of [['./keep'], ['./gone'], ['./keep', '--name', 'dropped']])
      assert.match(cli('run', '-d', ...args), /is running/);
    assert.match(cli('kill', 'dropped'), /dropped stopped/);
    assert.equal(await plane.stop('SIGINT'), 0);
    rmSync(join(work, 'gone'), { recursive: true });

    plane = await start();
    assert.ok(plane.lines.some((l) => /^\s+restored\s+keep \(micro ps lists them\)$/.test(l)));
    await plane.waitFor(/forgot gone, started before with micro run -d: .*gone.* no longer exists/);
    assert.deepEqual(names(), ['keep running']);
    const registry = createMicroRegistry({ address: String(env.MICRO_REGISTRY_ADDRESS) });
    assert.ok((await registered(registry, 'keep')).nodes.length, 'it registered again');
    await registry.close();
    assert.equal(await plane.stop('SIGINT'), 0);

    // Forgotten for good; kept for as long as it is not killed.
    plane = await start();
    assert.ok(!plane.lines.some((l) => /gone/.test(l)), plane.lines.join('\n'));
    assert.deepEqual(names(), ['keep running']);
    assert.match(cli('kill', 'keep'), /keep stopped/);
    assert.equal(await plane.stop('SIGINT'), 0);
    plane = await start();
    assert.deepEqual(names(), []);
    assert.match(cli('kill', '--help'), /forget/);
    assert.equal(await plane.stop('SIGINT'), 0);
  });
});

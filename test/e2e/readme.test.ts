import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startEtcd } from '../helpers/etcd-server.ts';
import { startNatsServer } from '../helpers/nats-server.ts';
import { startNode, stopAll } from '../helpers/proc.ts';
import { freePort } from '../helpers/net.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');
const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const micro = `${root}bin/micro.ts`;

/** What differs from run to run: process ids, ages, times, and the folder the example ran in. */
function normalize(text: string): string {
  return text
    .replace(/pid \d+/g, 'pid N')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, 'TIME')
    .replace(/^(greeter-bg\s+running\s+)\d+(\s+\d+\s+)\d+s(\s+)\S+/m, '$1N$2Ns$3PATH')
    .replace(/\s+$/gm, '')
    .replace(/ {2,}/g, '  ') // column widths follow the widest value, e.g. a pid's digits
    .trim();
}

/** Splits a shell command line into words, honouring single quotes. */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

/**
 * Runs `micro <args>` in `cwd` as an example of the README: one ending in `&` in the background
 * until it prints `ready`, any other to its end, printing what the README shows under it.
 */
async function runExample(
  example: { command: string; output: string },
  args: string[],
  options: { cwd: string; env: Record<string, string>; ready: RegExp },
): Promise<void> {
  if (example.command.endsWith(' &')) {
    await startNode(micro, args, options.env, { cwd: options.cwd }).waitFor(options.ready);
    return;
  }
  const r = spawnSync(process.execPath, [micro, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
  });
  assert.equal(normalize(r.stdout + r.stderr), normalize(example.output), example.command);
}

/** True for a curl example through the API gateway: it runs after the First steps, against `micro run`. */
const viaGateway = (e: { command: string }): boolean =>
  e.command.startsWith('curl ') && e.command.includes('127.0.0.1:8080');

/** The registry's address as the README shows it: the default. */
const DEFAULT_REGISTRY = '127.0.0.1:8000';

/** An `echo '<line>' | micro ...` example: the line and the micro command; else undefined. */
function piped(e: { command: string }): { input: string; command: string } | undefined {
  const m = /^echo '([^']*)' \| (micro .*)$/.exec(e.command);
  return m ? { input: m[1] ?? '', command: m[2] ?? '' } : undefined;
}

/** The `$ command` lines of the README's blocks fenced as `lang`, each with the output shown under it. */
function examplesIn(lang: string): { command: string; output: string }[] {
  const out: { command: string; output: string }[] = [];
  for (const block of readme.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))) {
    for (const part of (block[1] ?? '').split(/^\$ /m).filter(Boolean)) {
      const [command = '', ...rest] = part.trimEnd().split('\n');
      out.push({ command, output: rest.join('\n') });
    }
  }
  return out;
}

/** The console blocks: one machine. */
const consoleExamples = (): { command: string; output: string }[] => examplesIn('console');

/** The shell-session blocks: etcd and NATS. */
const distributedExamples = (): { command: string; output: string }[] =>
  examplesIn('shell-session');

describe('the README', () => {
  let address = '';
  before(async () => {
    // What `npm start` runs, on a free port instead of 9090.
    const greeter = startNode(`${root}examples/greeter/service.ts`, [], {
      MICRO_REGISTRY: 'memory',
      MICRO_SERVER_ADDRESS: '127.0.0.1:0',
    });
    [, address = ''] = await greeter.waitFor(/listening on (\S+)/);
  });
  after(stopAll);

  it('shows the greeter example and its client exactly as they are', () => {
    for (const file of ['examples/greeter/service.ts', 'examples/greeter/client.ts']) {
      assert.ok(
        readme.includes(readFileSync(`${root}${file}`, 'utf8')),
        `${file} differs from the README`,
      );
    }
  });

  it('prints what its curl examples print', () => {
    const examples = consoleExamples().filter(
      (e) => e.command.startsWith('curl ') && e.command.includes('127.0.0.1:9090'),
    );
    assert.ok(examples.length >= 4);
    for (const { command, output } of examples) {
      const actual = execFileSync('sh', ['-c', command.replaceAll('127.0.0.1:9090', address)], {
        encoding: 'utf8',
      });
      assert.equal(actual.trim().replace(uuid, '<uuid>'), output.trim(), command);
    }
  });

  it('prints what its micro examples print, run in order against a fresh micro', async () => {
    const work = mkdtempSync(join(tmpdir(), 'micro-readme-'));
    const api = `127.0.0.1:${await freePort()}`;
    const env = {
      MICRO_REGISTRY_ADDRESS: `127.0.0.1:${await freePort()}`,
      MICRO_DATA_DIR: join(work, 'data'),
      MICRO_API_ADDRESS: api,
      // The config examples' author: the CLI names its user.
      USER: 'ann',
    };
    try {
      const plane = startNode(micro, ['run'], env, { cwd: work });
      await plane.waitFor(/registry\s+127/);
      const examples = consoleExamples().filter(
        (e) => e.command.startsWith('micro ') || viaGateway(e) || piped(e) !== undefined,
      );
      assert.ok(examples.length >= 6);
      for (const { command, output } of examples) {
        if (viaGateway({ command })) {
          // The API gateway's examples, against the gateway of this micro run.
          const actual = execFileSync('sh', ['-c', command.replaceAll('127.0.0.1:8080', api)], {
            encoding: 'utf8',
          });
          assert.equal(actual.trim(), output.trim(), command);
          continue;
        }
        const pipe = piped({ command });
        if (pipe) {
          // `echo '...' | micro ...`: the line on its stdin; the registry shown at its default.
          const r = spawnSync(process.execPath, [micro, ...shellWords(pipe.command).slice(1)], {
            cwd: work,
            env: { ...process.env, ...env },
            input: `${pipe.input}\n`,
            encoding: 'utf8',
          });
          const actual = (r.stdout + r.stderr).replaceAll(
            env.MICRO_REGISTRY_ADDRESS,
            DEFAULT_REGISTRY,
          );
          assert.equal(normalize(actual), normalize(output), command);
          continue;
        }
        const args = shellWords(command.replace(/ &$/, '')).slice(1);
        await runExample({ command, output }, args, { cwd: work, env, ready: /listening on/ });
      }
    } finally {
      await stopAll();
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('runs the gateway-with-auth example as written, beside micro run and its gateway', async () => {
    const work = mkdtempSync(join(tmpdir(), 'micro-readme-gw-'));
    const source = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
      .map((m) => m[1] ?? '')
      .find((code) => code.includes('createGateway('));
    assert.ok(source, 'the README shows a createGateway example');
    const examples = consoleExamples().filter((e) => /authgw|127\.0\.0\.1:8090/.test(e.command));
    assert.equal(examples.length, 3, 'run it, a refused call, an allowed one');
    const registry = `127.0.0.1:${await freePort()}`;
    const planeApi = `127.0.0.1:${await freePort()}`;
    const ours = `127.0.0.1:${await freePort()}`;
    const env = {
      MICRO_REGISTRY_ADDRESS: registry,
      MICRO_DATA_DIR: join(work, 'data'),
      MICRO_API_ADDRESS: planeApi,
    };
    // As the README says: only main.ts, no package.json.
    mkdirSync(join(work, 'authgw'));
    writeFileSync(join(work, 'authgw/main.ts'), source);
    try {
      const plane = startNode(micro, ['run'], env, { cwd: work });
      await plane.waitFor(/registry\s+127/);
      execFileSync(process.execPath, [micro, 'new', 'greeter'], { cwd: work });
      await startNode(micro, ['run', './greeter'], env, { cwd: work }).waitFor(/listening on/);

      const [run, ...curls] = examples;
      const words = shellWords(run?.command.replace(/ &$/, '') ?? '');
      const vars = Object.fromEntries(
        words.filter((w) => /^[A-Z_]+=/.test(w)).map((w) => w.split('=', 2) as [string, string]),
      );
      assert.equal(vars.MICRO_API_ADDRESS, '127.0.0.1:8090');
      const args = words.filter((w) => !/^[A-Z_]+=/.test(w)).slice(1);
      const gw = startNode(
        micro,
        args,
        { ...env, ...vars, MICRO_API_ADDRESS: ours },
        { cwd: work },
      );
      const [line] = await gw.waitFor(/micro api listening on .*/);
      assert.equal(
        line.replace(/^stderr: /, ''),
        (run?.output ?? '').replace('127.0.0.1:8090', ours).replace('127.0.0.1:8000', registry),
      );
      for (const { command, output } of curls) {
        const actual = execFileSync('sh', ['-c', command.replaceAll('127.0.0.1:8090', ours)], {
          encoding: 'utf8',
        });
        assert.equal(actual.trim(), output.trim(), command);
      }

      // On the address micro run's own gateway holds: the error the README shows, no stack.
      const busy = spawnSync(process.execPath, [micro, ...args], {
        cwd: work,
        env: { ...process.env, ...env, ...vars, MICRO_API_ADDRESS: planeApi },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.notEqual(busy.status, 0);
      const shown = /`(\{"id":"micro\.api","code":409[\s\S]*?\})`/.exec(readme)?.[1] ?? '';
      assert.ok(shown, 'the README shows the error');
      const expected = shown.replace(/\n/g, ' ').replace('127.0.0.1:8080', planeApi);
      assert.ok(busy.stderr.includes(expected), busy.stderr);
      assert.doesNotMatch(busy.stderr, /EADDRINUSE|\n\s+at /);
    } finally {
      await stopAll();
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('prints what its etcd and NATS examples print, against real etcd and nats-server', async () => {
    const work = mkdtempSync(join(tmpdir(), 'micro-readme-x-'));
    const [etcd, nats] = await Promise.all([startEtcd(), startNatsServer()]);
    // The README's default addresses, moved to this run's servers and free ports.
    const moved = (text: string): string =>
      text.replaceAll('127.0.0.1:2379', etcd.address).replaceAll('127.0.0.1:4222', nats.address);
    const env: Record<string, string> = {
      MICRO_DATA_DIR: join(work, 'data'),
      MICRO_CONTROL_ADDRESS: `127.0.0.1:${await freePort()}`,
      MICRO_API_ADDRESS: `127.0.0.1:${await freePort()}`,
      MICRO_WEB_ADDRESS: `127.0.0.1:${await freePort()}`,
    };
    try {
      execFileSync(process.execPath, [micro, 'new', 'greeter'], { cwd: work });
      const examples = distributedExamples();
      assert.ok(examples.length >= 9);
      for (const { command, output } of examples) {
        const words = shellWords(moved(command).replace(/ &$/, ''));
        if (words[0] === 'export') {
          for (const pair of words.slice(1)) {
            const [name = '', value = ''] = pair.split('=');
            env[name] = value;
          }
          continue;
        }
        assert.equal(words[0], 'micro', command);
        await runExample({ command, output }, words.slice(1), {
          cwd: work,
          env,
          ready: /listening on|Press Ctrl-C/,
        });
      }
    } finally {
      await stopAll();
      await Promise.all([etcd.stop(), nats.stop()]);
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('starts with the set-up-and-run command and the test command', () => {
    const first = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    assert.match(first, /^npm ci && npm run build:sea && dist\/micro run/m);
    assert.match(first, /^npm run test:all/m);
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
      scripts: Record<string, string>;
    };
    // On a machine with only Node and npm, the test command installs what the tests need first;
    // CI runs exactly the README's commands.
    assert.equal(pkg.scripts['test:all'], 'bash scripts/install-test-deps.sh && npm test');
    const ci = readFileSync(`${root}.ci/run`, 'utf8');
    assert.match(ci, /^npm ci\nnpm run test:all\n/m);
    const deps = readFileSync(`${root}scripts/install-test-deps.sh`, 'utf8');
    for (const tool of ['etcd', 'nats-server', 'redis-server', 'chromium', 'tmux', 'python3', 'ip'])
      assert.match(deps, new RegExp(`^need ${tool} `, 'm'), tool);
    assert.match(pkg.scripts['build:sea'] ?? '', /scripts\/build-sea\.mjs/);
    assert.match(pkg.scripts.start ?? '', /examples\/greeter\/service\.ts/);
  });
});

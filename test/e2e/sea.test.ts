// The single executable, run the way a user runs it: the file alone in an empty folder, with no
// node_modules in reach, no `node` on PATH and a fresh home directory.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commands } from '../../src/commands/index.ts';
import { startEtcd } from '../helpers/etcd-server.ts';
import { startNatsServer } from '../helpers/nats-server.ts';
import { startProsody } from '../helpers/prosody-server.ts';
import { startSlackStandIn } from '../helpers/slack-server.ts';
import {
  availableFrom,
  connectXmppUser,
  messageFrom,
  type XmppUser,
} from '../helpers/xmpp-user.ts';
import { xml } from '@xmpp/client';
import { greeterSource } from '../helpers/greeter-source.ts';
import { freePort } from '../helpers/net.ts';
import { ensureBuilt, root } from '../helpers/sea.ts';

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const seaWarning = /ExperimentalWarning|single executable application/i;

/** A folder holding nothing but a copy of the binary, and a user's environment around it. */
interface Sandbox {
  dir: string;
  exe: string;
  /** Environment with no `node` on PATH, HOME and TMPDIR in the sandbox, nothing inherited. */
  env: NodeJS.ProcessEnv;
  base: string;
}

function sandbox(binary: string): Sandbox {
  const base = mkdtempSync(join(tmpdir(), 'micro-sea-'));
  const dir = join(base, 'work');
  for (const d of [dir, join(base, 'home'), join(base, 'tmp'), join(base, 'path')]) mkdirSync(d);
  const exe = join(dir, 'micro');
  copyFileSync(binary, exe);
  // PATH is an empty folder: the binary can reach no node and no other tool.
  const env = { HOME: join(base, 'home'), TMPDIR: join(base, 'tmp'), PATH: join(base, 'path') };
  return { base, dir, exe, env };
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the sandboxed binary by its absolute path, in its folder, and waits for it to end. */
function runBinary(
  sb: Sandbox,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeout?: number } = {},
): Run {
  const t0 = performance.now();
  const r = spawnSync(sb.exe, args, {
    cwd: sb.dir,
    env: { ...sb.env, ...opts.env },
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeout ?? 30_000,
  });
  const ms = performance.now() - t0;
  if (r.error) throw r.error;
  assert.doesNotMatch(r.stderr, seaWarning);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms };
}

/** A sandboxed binary running in the background, whose output lines can be awaited. */
interface Background {
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
  /** Sends SIGINT (Ctrl-C) and resolves with the exit code. */
  stop(): Promise<number | null>;
}

function background(sb: Sandbox, args: string[], env: NodeJS.ProcessEnv = {}): Background {
  const child = spawn(sb.exe, args, { cwd: sb.dir, env: { ...sb.env, ...env } });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: string): void => {
    out += d;
    for (const w of waiters) w();
  };
  child.stdout.setEncoding('utf8').on('data', onData);
  child.stderr.setEncoding('utf8').on('data', onData);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    waitFor: (pattern, ms = 15_000) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(out)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`micro ${args.join(' ')} printed no ${pattern} in ${ms} ms:\n${out}`));
        }, ms);
        void exited.then(() => {
          if (!waiters.has(check)) return;
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`micro ${args.join(' ')} exited before printing ${pattern}:\n${out}`));
        });
        waiters.add(check);
        check();
      }),
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

/** Like runBinary, but asynchronous, so that several runs overlap. */
function runBinaryAsync(sb: Sandbox, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const t0 = performance.now();
  const child = spawn(sb.exe, args, { cwd: sb.dir, env: { ...sb.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) =>
      resolve({ status, stdout, stderr, ms: performance.now() - t0 }),
    );
  });
}

describe('dist/micro, alone in an empty folder with no node on PATH', () => {
  let sb: Sandbox;
  before(() => {
    ensureBuilt(join(root, 'dist/micro'));
    sb = sandbox(join(root, 'dist/micro'));
  });
  after(() => rmSync(sb.base, { recursive: true, force: true }));

  it('has nothing to lean on: no node_modules beside it and no node on its PATH', () => {
    assert.deepEqual(readdirSync(sb.dir), ['micro']);
    const which = spawnSync('/bin/sh', ['-c', 'command -v node'], { env: sb.env });
    assert.notEqual(which.status, 0, 'node is on the sandbox PATH');
  });

  it('prints the version from package.json, without the SEA warning', () => {
    const r = runBinary(sb, ['--version']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), pkg.version);
    assert.equal(r.stderr, '');
  });

  it('lists every command in --help', () => {
    const r = runBinary(sb, ['--help']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Usage: micro <command>/);
    for (const c of commands) {
      if (typeof c.describe !== 'string') continue; // hidden
      const name = String(Array.isArray(c.command) ? c.command[0] : c.command).split(' ')[0] ?? '';
      assert.match(r.stdout, new RegExp(`micro ${name}\\b`), `${name} is missing from --help`);
    }
  });

  it('exits 1 with a hint when no command is given', () => {
    const r = runBinary(sb, []);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /micro --help/);
  });

  // Issue 3, point 6: the product's first steps, with the binary alone. The control plane uses a
  // free port rather than 8000, so a micro already running on this machine is not disturbed.
  it('runs micro, scaffolds greeter, runs it with no npm install, lists it and calls it', async () => {
    const env = {
      MICRO_REGISTRY_ADDRESS: `127.0.0.1:${await freePort()}`,
      MICRO_DATA_DIR: join(sb.base, 'data'),
    };
    const plane = background(sb, ['run'], env);
    try {
      await plane.waitFor(/registry\s+127\.0\.0\.1/);
      const created = runBinary(sb, ['new', 'greeter'], { env });
      assert.equal(created.status, 0, created.stderr);
      assert.ok(existsSync(join(sb.dir, 'greeter', 'main.ts')));
      // Its npm test: micro test, with the binary's own Node and test runner.
      const tested = runBinary(sb, ['test', 'greeter'], { env });
      assert.equal(tested.status, 0, tested.stdout + tested.stderr);
      assert.match(tested.stdout, /pass 1/);
      const service = background(sb, ['run', './greeter'], env);
      try {
        await service.waitFor(/greeter-\S+ listening on/);
        const list = runBinary(sb, ['list', 'services'], { env });
        assert.equal(list.status, 0, list.stderr);
        assert.match(list.stdout, /greeter/);
        assert.match(list.stdout, /registry/);
        const call = runBinary(sb, ['call', 'greeter', 'Say.Hello', '{"name":"Ann"}'], { env });
        assert.equal(call.status, 0, call.stderr);
        assert.deepEqual(JSON.parse(call.stdout), { msg: 'Hello Ann' });
        const bad = runBinary(sb, ['call', 'greeter', 'Say.Hello', '{"name":'], { env });
        assert.equal(bad.status, 1);
        assert.equal((JSON.parse(bad.stderr) as { code: number }).code, 400);
      } finally {
        assert.equal(await service.stop(), 0, 'the service stops cleanly on Ctrl-C');
      }
    } finally {
      assert.equal(await plane.stop(), 0, 'micro stops cleanly on Ctrl-C');
    }
  });

  // etcd3 reads .proto files when it loads: the binary carries them compiled (scripts/build-sea.mjs).
  it('registers in etcd and lists what etcd holds, with etcd3 and gRPC inside the binary', async () => {
    const etcd = await startEtcd();
    try {
      const registry = ['--registry', 'etcd', '--registry-address', etcd.address];
      const record = { name: 'etcd-greeter', nodes: [{ id: 'g1', address: '127.0.0.1:9' }] };
      const added = runBinary(sb, ['register', 'service', JSON.stringify(record), ...registry]);
      assert.equal(added.status, 0, added.stderr);
      const list = runBinary(sb, ['list', 'services', ...registry]);
      assert.equal(list.status, 0, list.stderr);
      assert.match(list.stdout, /etcd-greeter\s+latest\s+1\b/);
    } finally {
      await etcd.stop();
    }
  });

  it('runs a service on NATS alone (registry and transport, no open port), and lists and calls it there', async () => {
    const nats = await startNatsServer();
    const env = {
      MICRO_REGISTRY: 'nats',
      MICRO_REGISTRY_ADDRESS: nats.address,
      MICRO_TRANSPORT: 'nats',
      MICRO_TRANSPORT_ADDRESS: nats.address,
    };
    try {
      const created = runBinary(sb, ['new', 'natsgreeter'], { env });
      assert.equal(created.status, 0, created.stderr);
      const service = background(sb, ['run', './natsgreeter'], env);
      try {
        await service.waitFor(/natsgreeter-\S+ listening on micro\.node\./);
        const list = runBinary(sb, ['list', 'services', '--registry', 'nats'], {
          env: { MICRO_REGISTRY_ADDRESS: nats.address },
        });
        assert.equal(list.status, 0, list.stderr);
        assert.match(list.stdout, /natsgreeter\s+0\.1\.0\s+1\b/);
        const call = runBinary(sb, ['call', 'natsgreeter', 'Say.Hello', '{"name":"Ann"}'], { env });
        assert.equal(call.status, 0, call.stderr);
        assert.deepEqual(JSON.parse(call.stdout), { msg: 'Hello Ann' });
      } finally {
        assert.equal(await service.stop(), 0, 'the service stops cleanly on Ctrl-C');
      }
    } finally {
      await nats.stop();
    }
  });

  // Issue 6: the dashboard's pages and scripts are assets inside the binary, not files beside it.
  it("runs the bot's Slack and XMPP inputs from inside the binary", async () => {
    const slack = await startSlackStandIn();
    const prosody = await startProsody({ users: { bot: 'bot-pw', alice: 'alice-pw' } });
    const bot = background(sb, ['bot', '--inputs', 'slack,xmpp', '--registry', 'memory'], {
      MICRO_AUDIT: 'off',
      MICRO_BOT_SLACK_APP_TOKEN: slack.appToken,
      MICRO_BOT_SLACK_BOT_TOKEN: slack.botToken,
      MICRO_BOT_SLACK_API_URL: slack.apiUrl,
      MICRO_BOT_XMPP_SERVICE: prosody.service,
      MICRO_BOT_XMPP_JID: 'bot@localhost',
      MICRO_BOT_XMPP_PASSWORD: 'bot-pw',
    });
    let alice: XmppUser | undefined;
    try {
      await bot.waitFor(/micro bot: connected: slack, xmpp /, 30_000);
      slack.mention('U0ANN', 'C0OPS', 'ping');
      assert.equal((await slack.nextPost((p) => p.channel === 'C0OPS')).text, 'pong');
      alice = await connectXmppUser(prosody.service, 'alice', 'alice-pw');
      await alice.client.send(xml('presence', { to: 'bot@localhost', type: 'subscribe' }));
      await alice.next(availableFrom('bot@localhost/micro-bot'));
      await alice.say('bot@localhost', 'ping');
      const reply = await alice.next(messageFrom('bot@localhost', 'chat'), 20_000);
      assert.equal(reply.getChildText('body'), 'pong');
    } finally {
      await alice?.stop();
      assert.equal(await bot.stop(), 0, 'micro bot stops cleanly on Ctrl-C');
      await prosody.stop();
      await slack.stop();
    }
  });

  it('serves the web dashboard from inside the binary', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const web = background(sb, ['web', '--web-address', address, '--registry', 'memory']);
    try {
      await web.waitFor(/web dashboard on http/);
      const page = await fetch(`http://${address}/`);
      assert.equal(page.status, 200);
      for (const [, path] of (await page.text()).matchAll(/(?:href|src)="(\/_\/static\/[^"]+)"/g)) {
        const file = await fetch(`http://${address}${path}`);
        assert.equal(file.status, 200, path);
        await file.arrayBuffer();
      }
      const module = await fetch(`http://${address}/_/static/pages/service.js`);
      const source = readFileSync(join(root, 'src/ui/web/static/pages/service.js'), 'utf8');
      assert.equal(await module.text(), source, 'the binary serves the files it was built from');
    } finally {
      assert.equal(await web.stop(), 0, 'micro web stops cleanly on Ctrl-C');
    }
  });
});

// The building blocks of those steps, inside a binary built the same way from a small entry point,
// until the commands above exercise them: the SQLite addon asset, the framework hook, and the
// esbuild patch that lets ink load in a CommonJS bundle.
const probeEntry = 'dist/sea-probe/probe.ts';
const probeSource = `
import { pathToFileURL } from 'node:url';
import { loadSqliteBinding } from '../../src/native/sqlite.ts';
import { openDatabase } from '../../src/registry/sqlite.ts';
import { provideFramework } from '../../src/runner/framework-hook.ts';
import * as runtime from '../../src/runtime/index.ts';

async function main(what: string, arg: string): Promise<void> {
  if (what === 'sqlite') {
    const t0 = performance.now();
    const binding = loadSqliteBinding();
    const loadMs = performance.now() - t0;
    const db = openDatabase(arg, binding);
    db.exec('CREATE TABLE IF NOT EXISTS t (v TEXT)');
    db.prepare('INSERT INTO t VALUES (?)').run('hello');
    const { n } = db.prepare('SELECT count(*) AS n FROM t').get() as { n: number };
    const journal = db.pragma('journal_mode', { simple: true });
    db.close();
    console.log(JSON.stringify({ journal, n, loadMs }));
  } else if (what === 'sqlite-without-binding') {
    openDatabase(arg).close();
  } else if (what === 'service') {
    provideFramework(runtime as unknown as Record<string, unknown>);
    await import(pathToFileURL(arg).href);
  } else if (what === 'ink') {
    // In the bundle yoga-layout loads asynchronously (scripts/build-sea.mjs): wait before ink.
    await ((await import('yoga-layout')) as { ready?: Promise<unknown> }).ready;
    const { renderToString, Box, Text } = await import('ink');
    const { createElement } = await import('react');
    const box = createElement(Box, { borderStyle: 'round', width: 12 }, createElement(Text, null, 'hi'));
    console.log(renderToString(box));
  }
}
main(process.argv[2] ?? '', process.argv[3] ?? '').catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
`;

const greeter = greeterSource({
  imports:
    "import { createService, createMemoryRegistry, endpoint, type Service } from 'micro-ts';",
  msg: '`Hello ${req.name}`',
  body: "console.log(JSON.stringify(await service.client.call('greeter', 'Say.Hello', { name: 'Ann' })));",
});

describe('a probe binary built by scripts/build-sea.mjs, alone in an empty folder', () => {
  let sb: Sandbox;
  const uid = process.getuid?.() ?? 0;
  const addonDir = /^linux-x64-abi\d+-[0-9a-f]{16}$/;
  before(() => {
    const path = join(root, probeEntry);
    mkdirSync(join(path, '..'), { recursive: true });
    if (!existsSync(path) || readFileSync(path, 'utf8') !== probeSource) {
      writeFileSync(path, probeSource);
    }
    ensureBuilt(join(root, 'dist/sea-probe/probe'), probeEntry);
    sb = sandbox(join(root, 'dist/sea-probe/probe'));
  });
  after(() => rmSync(sb.base, { recursive: true, force: true }));

  it('opens SQLite (WAL) with the addon written once to ~/.cache/micro/native', (t) => {
    const first = runBinary(sb, ['sqlite', join(sb.base, 'data/a.db')]);
    assert.equal(first.status, 0, first.stderr);
    assert.deepEqual(
      { ...(JSON.parse(first.stdout) as object), loadMs: 0 },
      { journal: 'wal', n: 1, loadMs: 0 },
    );
    const native = join(sb.env.HOME ?? '', '.cache/micro/native');
    const [dir = ''] = readdirSync(native);
    assert.match(dir, addonDir);
    assert.deepEqual(readdirSync(join(native, dir)), ['better_sqlite3.node']);
    const written = statSync(join(native, dir, 'better_sqlite3.node')).mtimeMs;

    const second = runBinary(sb, ['sqlite', join(sb.base, 'data/a.db')]);
    assert.equal(second.status, 0, second.stderr);
    assert.equal((JSON.parse(second.stdout) as { n: number }).n, 2);
    assert.equal(statSync(join(native, dir, 'better_sqlite3.node')).mtimeMs, written);
    const loadMs = (r: Run): string =>
      (JSON.parse(r.stdout) as { loadMs: number }).loadMs.toFixed(1);
    t.diagnostic(`addon load: ${loadMs(first)} ms extracting, ${loadMs(second)} ms after`);
  });

  it("needs the asset: better-sqlite3's own addon lookup cannot work in the binary", () => {
    const r = runBinary(sb, ['sqlite-without-binding', join(sb.base, 'data/b.db')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /No such built-in module: .*\.node/);
  });

  it('survives four simultaneous first runs: one addon file, no temporary files left', async () => {
    const home = join(sb.base, 'home-concurrent');
    mkdirSync(home);
    const runs = await Promise.all(
      [1, 2, 3, 4].map((i) =>
        runBinaryAsync(sb, ['sqlite', join(sb.base, `data/c${i}.db`)], { HOME: home }),
      ),
    );
    for (const r of runs) assert.equal(r.status, 0, r.stderr);
    const native = join(home, '.cache/micro/native');
    const [dir = ''] = readdirSync(native);
    assert.deepEqual(readdirSync(join(native, dir)), ['better_sqlite3.node']);
  });

  it('falls back to a private folder in TMPDIR when the home directory is not writable', () => {
    const home = join(sb.base, 'home-is-a-file');
    writeFileSync(home, '');
    const r = runBinary(sb, ['sqlite', join(sb.base, 'data/d.db')], { env: { HOME: home } });
    assert.equal(r.status, 0, r.stderr);
    const fallback = join(sb.env.TMPDIR ?? '', `micro-native-${uid}`);
    assert.equal(statSync(fallback).mode & 0o777, 0o700);
    const [dir = ''] = readdirSync(fallback);
    assert.match(dir, addonDir);
    assert.ok(existsSync(join(fallback, dir, 'better_sqlite3.node')));
  });

  it("runs a TypeScript service that imports 'micro-ts', with no npm install", () => {
    writeFileSync(join(sb.dir, 'greeter.ts'), greeter);
    const r = runBinary(sb, ['service', join(sb.dir, 'greeter.ts')]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim()), { msg: 'Hello Ann' });
    rmSync(join(sb.dir, 'greeter.ts'));
  });

  it('renders with ink (Yoga loaded without top-level await)', () => {
    const r = runBinary(sb, ['ink']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '╭──────────╮\n│hi        │\n╰──────────╯');
  });
});

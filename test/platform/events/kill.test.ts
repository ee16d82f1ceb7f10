// Issue 17 point 5, counted: SIGKILL the control plane while two publisher processes send 10,000
// events (idempotency keys, each publish retried with its key until acknowledged) and a consumer
// group of two processes consumes them; after a restart on the same data folder and port, every
// acknowledged publish is stored once and delivered, and the group's handlers saw each key once.
// Then a consumer SIGKILLed mid-batch: what it held unacknowledged goes to the other member after
// the redelivery timeout, and what it acknowledged does not.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createMicroEvents } from '../../../src/platform/events/client.ts';
import { bin, closedAddress } from '../../helpers/cli.ts';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const started: ChildProcess[] = [];
const folders: string[] = [];
after(() => {
  for (const child of started)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** A new data folder: each test its own, so that no node a SIGKILL left behind is found in the next. */
function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'micro-events-kill-'));
  folders.push(dir);
  return dir;
}

const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('MICRO_') && k !== 'NODE_TEST_CONTEXT') e[k] = v;
  return e;
};

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

/** A real `micro registry` process (the control plane without the supervisor) on `address`. */
async function controlPlane(address: string, dataDir: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [bin, 'registry', '--registry-address', address, '--data-dir', dataDir],
    { env: env(), stdio: ['ignore', 'ignore', 'inherit'] },
  );
  started.push(child);
  // Serving once its events service answers.
  const events = createMicroEvents({ address, timeout: 1000 });
  try {
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null)
        throw new Error(`the control plane exited with ${child.exitCode}`);
      try {
        await events.topics();
        return child;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error('the control plane did not serve within 30 s');
  } finally {
    await events.close();
  }
}

/** A child running a fixture, whose stdout lines go to onLine. */
function run(script: string, args: string[], onLine: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, [fixture(script), ...args], {
    env: env(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.push(child);
  createInterface({ input: child.stdout }).on('line', onLine);
  return child;
}

/** A consumer of the group; resolves once it subscribed. */
async function consumer(
  address: string,
  args: string[],
  onLine: (line: string) => void,
): Promise<ChildProcess> {
  let ready!: () => void;
  const subscribed = new Promise<void>((resolve) => (ready = resolve));
  const child = run('consume-loop.ts', [address, ...args], (line) => {
    if (line === 'ready') ready();
    else onLine(line);
  });
  await Promise.race([
    subscribed,
    exited(child).then((code) => {
      throw new Error(`a consumer exited with ${code} before it subscribed`);
    }),
  ]);
  return child;
}

/** Resolves once test() holds; check() is called after each change. */
function until(): { check: () => void; when: (test: () => boolean) => Promise<void> } {
  const waits: { test: () => boolean; done: () => void }[] = [];
  return {
    check() {
      for (const w of [...waits])
        if (w.test()) {
          waits.splice(waits.indexOf(w), 1);
          w.done();
        }
    },
    when: (test) =>
      test() ? Promise.resolve() : new Promise((done) => waits.push({ test, done })),
  };
}

it('delivers every acknowledged publish, each key once, across a SIGKILL of the control plane', async () => {
  const address = await closedAddress();
  const dataDir = folder();
  let cp = await controlPlane(address, dataDir);
  const acked = new Map<string, number>();
  const seen = new Map<string, number>();
  const by = [0, 0];
  const changes = until();
  const consumers = await Promise.all(
    [0, 1].map((i) =>
      consumer(address, ['kill', 'workers', '10000'], (line) => {
        const [word, key = ''] = line.split(' ');
        if (word !== 'got') return;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        by[i]!++;
        changes.check();
      }),
    ),
  );
  const publishers = ['a', 'b'].map((name) =>
    run('publish-loop.ts', [address, name, '5000'], (line) => {
      const [word, key = '', offset = ''] = line.split(' ');
      if (word !== 'ack') return;
      acked.set(key, Number(offset));
      changes.check();
    }),
  );

  await changes.when(() => acked.size >= 3000);
  cp.kill('SIGKILL');
  await exited(cp);
  const ackedAtKill = acked.size;
  cp = await controlPlane(address, dataDir);
  assert.deepEqual(await Promise.all(publishers.map(exited)), [0, 0], 'both publishers finished');
  assert.equal(acked.size, 10_000);

  // Every acknowledged publish reaches the group, then nothing is left pending or unread.
  await changes.when(() => [...acked.keys()].every((k) => seen.has(k)));
  const events = createMicroEvents({ address });
  try {
    for (let i = 0; i < 100; i++) {
      const [group] = await events.groups('kill');
      if (group?.pending === 0 && group.lag === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const [topic] = await events.topics('kill');
    assert.equal(topic?.count, 10_000, 'each key stored once');
    const [group] = await events.groups('kill');
    assert.equal(group?.pending, 0);
    assert.equal(group?.lag, 0);
  } finally {
    await events.close();
  }
  for (const c of consumers) c.kill('SIGTERM');
  await Promise.all(consumers.map(exited));

  const lost = [...acked.keys()].filter((k) => !seen.has(k));
  const twice = [...seen].filter(([, n]) => n > 1);
  const strangers = [...seen.keys()].filter((k) => !acked.has(k));
  assert.deepEqual(lost, [], `${lost.length} acknowledged events never delivered`);
  assert.deepEqual(twice, [], `${twice.length} keys handled more than once`);
  assert.deepEqual(strangers, []);
  assert.ok(by[0]! > 0 && by[1]! > 0, `both members handled events: ${by.join(' and ')}`);
  assert.ok(ackedAtKill >= 3000 && ackedAtKill < 10_000, `killed after ${ackedAtKill} acks`);
  console.log(
    `# acknowledged before SIGKILL: ${ackedAtKill}; after restart: ${10_000 - ackedAtKill}; ` +
      `handled: ${by.join(' + ')}; lost: ${lost.length}; twice: ${twice.length}`,
  );
  cp.kill('SIGTERM');
  await exited(cp);
});

it('gives what a consumer SIGKILLed mid-batch held to the other member after the ack timeout', async () => {
  const address = await closedAddress();
  const cp = await controlPlane(address, folder());
  const heldBy = { got: new Set<string>(), acked: new Set<string>() };
  const other = new Map<string, number>();
  const changes = until();
  // The first holds 20 at most and acknowledges its first 5 only: stuck mid-batch.
  const stuck = await consumer(address, ['batch', 'pair', '1000', '5'], (line) => {
    const [word, key = ''] = line.split(' ');
    if (word === 'got') heldBy.got.add(key);
    if (word === 'acked') heldBy.acked.add(key);
    changes.check();
  });
  const member = await consumer(address, ['batch', 'pair', '1000'], (line) => {
    const [word, key = '', , attempt = '1'] = line.split(' ');
    if (word === 'got') other.set(key, Math.max(other.get(key) ?? 0, Number(attempt)));
    changes.check();
  });
  const events = createMicroEvents({ address });
  const keys = Array.from({ length: 200 }, (_, i) => `e${i}`);
  try {
    await events.publishMany(
      'batch',
      keys.map((key) => ({ data: { key }, key })),
    );
    // Mid-batch: some acknowledged, more held.
    await changes.when(() => heldBy.acked.size === 5 && heldBy.got.size >= 10);
    stuck.kill('SIGKILL');
    await exited(stuck);
    const held = [...heldBy.got].filter((k) => !heldBy.acked.has(k));
    await changes.when(() => keys.every((k) => other.has(k) || heldBy.acked.has(k)));
    assert.ok(held.length >= 5, `${held.length} held`);
    for (const k of held)
      assert.ok((other.get(k) ?? 0) >= 2, `${k} redelivered to the other member`);
    const again = [...heldBy.acked].filter((k) => other.has(k));
    assert.deepEqual(again, [], 'what the stuck member acknowledged is not delivered again');
    console.log(`# held by the killed member: ${held.length}, all redelivered to the other`);
  } finally {
    await events.close();
    member.kill('SIGTERM');
    await exited(member);
    cp.kill('SIGTERM');
    await exited(cp);
  }
});

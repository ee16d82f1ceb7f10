// Issue 16 point 7: SIGKILL the control plane in the middle of 1,000 puts from two client
// processes, restart it on the same data folder, and count that every acknowledged put is there.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createMicroStore } from '../../../src/platform/store/client.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { bin, closedAddress } from '../../helpers/cli.ts';

const loop = fileURLToPath(new URL('./fixtures/put-loop.ts', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'micro-store-kill-'));
const started: ChildProcess[] = [];
after(() => {
  for (const child of started)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('MICRO_') && k !== 'NODE_TEST_CONTEXT') e[k] = v;
  return e;
};

/** A real `micro registry` process (the control plane without the supervisor) on `address`. */
async function controlPlane(address: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [bin, 'registry', '--registry-address', address, '--data-dir', dataDir],
    {
      env: env(),
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  started.push(child);
  // Serving once its store service is registered and answers.
  const registry = createMicroRegistry({ address, timeout: 1000 });
  const store = createMicroStore({ address, timeout: 1000 });
  try {
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null)
        throw new Error(`the control plane exited with ${child.exitCode}`);
      try {
        await store.get('ready');
        return child;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error('the control plane did not serve within 30 s');
  } finally {
    await store.close();
    await registry.close();
  }
}

it('keeps every acknowledged put when the control plane is SIGKILLed mid-way through 1,000 puts', async () => {
  const address = await closedAddress();
  let cp = await controlPlane(address);
  const acked = new Map<string, string>();
  let ackedAtKill = -1;
  let killed!: () => void;
  const kill = new Promise<void>((resolve) => (killed = resolve));
  const clients = ['a', 'b'].map((name) => {
    const child = spawn(process.execPath, [loop, address, name, '500'], {
      env: env(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    started.push(child);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [, key = '', version = ''] = line.split(' ');
      acked.set(key, version);
      if (acked.size >= 300 && ackedAtKill < 0) {
        ackedAtKill = acked.size;
        killed();
      }
    });
    return new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  });
  await kill;
  cp.kill('SIGKILL');
  await new Promise((r) => cp.once('exit', r));
  const beforeRestart = new Map(acked);
  cp = await controlPlane(address);
  assert.deepEqual(await Promise.all(clients), [0, 0], 'both clients finished their puts');
  assert.equal(acked.size, 1000);

  const store = createMicroStore({ address, database: 'kill' });
  try {
    const stored = new Map<string, string>();
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await store.list({ limit: 1000, keysOnly: true, ...(cursor && { cursor }) });
      for (const e of page.entries) stored.set(e.key, e.version);
      cursor = page.next;
      if (!cursor) break;
    }
    const lost = [...acked.keys()].filter((k) => !stored.has(k));
    assert.deepEqual(lost, [], `${lost.length} acknowledged puts lost`);
    // Those acknowledged before the kill are there as they were acknowledged, not rewritten.
    const changed = [...beforeRestart].filter(([k, v]) => stored.get(k) !== v);
    assert.deepEqual(changed, []);
    assert.ok(
      ackedAtKill >= 300 && beforeRestart.size < 1000,
      `killed after ${beforeRestart.size} acks`,
    );
    console.log(
      `# acknowledged before SIGKILL: ${beforeRestart.size}; after restart: ${acked.size - beforeRestart.size}; stored: ${stored.size}; lost: ${lost.length}`,
    );
  } finally {
    await store.close();
    cp.kill('SIGTERM');
    await new Promise((r) => cp.once('exit', r));
  }
});

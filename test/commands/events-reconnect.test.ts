// `micro events subscribe --group` keeps printing across a restart of the control plane.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, it } from 'node:test';
import { createMicroEvents } from '../../src/platform/events/client.ts';
import { bin, closedAddress } from '../helpers/cli.ts';

const started: ChildProcess[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'micro-events-cli-restart-'));
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

const micro = (args: string[], stdout: 'pipe' | 'ignore'): ChildProcess => {
  const child = spawn(process.execPath, [bin, ...args], {
    env: env(),
    stdio: ['ignore', stdout, 'inherit'],
  });
  started.push(child);
  return child;
};

/** A real `micro registry` on `address`, once its events service answers. */
async function controlPlane(address: string): Promise<ChildProcess> {
  const child = micro(['registry', '--registry-address', address, '--data-dir', dataDir], 'ignore');
  const events = createMicroEvents({ address, timeout: 1000 });
  try {
    for (let i = 0; i < 300; i++) {
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

it('a CLI group subscriber prints events published after the control plane restarted', async () => {
  const address = await closedAddress();
  let cp = await controlPlane(address);
  const sub = micro(
    [
      'events',
      'subscribe',
      'orders',
      '--group',
      'h',
      '--from',
      'earliest',
      '--registry-address',
      address,
    ],
    'pipe',
  );
  const lines = createInterface({ input: sub.stdout! })[Symbol.asyncIterator]();
  const events = createMicroEvents({ address, timeout: 20_000 });
  try {
    // Published until the subscriber (live at some point) prints one.
    const first = events.publish('orders', 'before');
    assert.match(String((await lines.next()).value), /"before"/);
    await first;
    cp.kill('SIGKILL');
    await new Promise((r) => cp.once('exit', r));
    cp = await controlPlane(address);
    await events.publish('orders', 'after');
    assert.match(String((await lines.next()).value), /"after"/);
  } finally {
    await events.close();
    sub.kill('SIGINT');
    cp.kill('SIGTERM');
  }
});

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startControlPlane } from '../../../src/controlplane/index.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { createClient } from '../../../src/runtime/client/rpc-client.ts';

test('a control plane started with no logger logs the platform events it cannot publish', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'micro-cp-log-'));
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string | Uint8Array) => (lines.push(String(chunk)), true);
  const cp = await startControlPlane({
    address: '127.0.0.1:0',
    dataDir,
    env: { MICRO_EVENTS: 'redis', MICRO_EVENTS_ADDRESS: '127.0.0.1:1' },
  });
  try {
    const client = createClient({ registry: createMicroRegistry({ address: cp.address }) });
    await client.call('config', 'Config.Set', { path: 'a', value: 2 });
    const logged = () => lines.some((l) => l.includes('platform events: cannot publish'));
    for (let i = 0; i < 200 && !logged(); i++) await new Promise((r) => setTimeout(r, 50));
    process.stderr.write = write;
    assert.ok(logged(), lines.join(''));
  } finally {
    process.stderr.write = write;
    await cp.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

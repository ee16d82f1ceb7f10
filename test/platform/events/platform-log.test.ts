import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startControlPlane } from '../../../src/controlplane/index.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { createClient } from '../../../src/runtime/client/rpc-client.ts';

// The control plane's lines go through its logger (pino's `micro` logger unless one is given,
// written straight to stdout): a logger given here shows what it says.
test('a control plane logs the platform events it cannot publish', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'micro-cp-log-'));
  const lines: string[] = [];
  const logger = {
    info: (m: string) => void lines.push(m),
    warn: (m: string) => void lines.push(m),
    error: (m: string) => void lines.push(m),
  };
  const cp = await startControlPlane({
    address: '127.0.0.1:0',
    dataDir,
    logger,
    env: { MICRO_EVENTS: 'redis', MICRO_EVENTS_ADDRESS: '127.0.0.1:1' },
  });
  try {
    const client = createClient({ registry: createMicroRegistry({ address: cp.address }) });
    await client.call('config', 'Config.Set', { path: 'a', value: 2 });
    const logged = () => lines.some((l) => l.includes('platform events: cannot publish'));
    for (let i = 0; i < 200 && !logged(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(logged(), lines.join('\n'));
    await client.close();
  } finally {
    await cp.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

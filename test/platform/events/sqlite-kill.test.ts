// SQLite events SIGKILLed with 500 deliveries acknowledged and 500 pending: reopened on the same
// file, the acknowledged ones stay done, the pending ones are delivered again, and keys still
// dedupe.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createSqliteEvents } from '../../../src/platform/events/sqlite.ts';

const fixture = fileURLToPath(new URL('./fixtures/consume-and-die.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'micro-events-kill-'));
after(() => rmSync(dir, { recursive: true, force: true }));

it('keeps acknowledgements and pending deliveries across a SIGKILL', async () => {
  const path = join(dir, 'micro.db');
  const child = spawn(process.execPath, [fixture, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    for await (const line of createInterface({ input: child.stdout })) if (line === 'ready') break;
  } finally {
    child.kill('SIGKILL');
  }
  await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(child.signalCode, 'SIGKILL');

  const events = createSqliteEvents({ path });
  try {
    const [before] = await events.groups('orders');
    assert.deepEqual([before?.position, before?.pending, before?.lag], [500, 500, 500]);
    const again = await events.publish('orders', 'retried', { key: 'k-7' });
    assert.deepEqual([again.offset, again.duplicate], [7, true]);
    const sub = await events.subscribe('orders', { group: 'g', maxInFlight: 1000 });
    const seen = new Set<number>();
    for await (const d of sub) {
      assert.ok(d.offset > 500, `offset ${d.offset} was acknowledged before the kill`);
      assert.equal(d.attempt, 2);
      seen.add(d.offset);
      await d.ack();
      if (seen.size === 500) break;
    }
    const [done] = await events.groups('orders');
    assert.deepEqual([done?.position, done?.pending, done?.lag], [1000, 0, 0]);
  } finally {
    await events.close();
  }
});

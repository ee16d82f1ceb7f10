import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMicroSync } from '../../src/platform/sync/client.ts';
import type { Sync } from '../../src/platform/sync/sync.ts';
import { bin, errorOf, micro } from '../helpers/cli.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import type { RunningServer } from '../helpers/server-process.ts';

describe('micro sync', () => {
  let cp: RunningServer;
  let sync: Sync;
  let env: Record<string, string>;
  const node = process.execPath;

  before(async () => {
    cp = await startTestControlPlane('micro-sync-cli-');
    env = { MICRO_REGISTRY_ADDRESS: cp.address };
    sync = createMicroSync({ address: cp.address, id: 'in-test' });
  });
  after(async () => {
    await sync?.close();
    await cp?.stop();
  });

  it('runs a command holding the lock, which `micro sync locks` run inside it sees, and releases it after', async () => {
    const run = await micro(
      ['sync', 'lock', 'report', '--', node, bin, 'sync', 'locks', '--output', 'json'],
      { env },
    );
    assert.equal(run.code, 0, run.stderr);
    const listed = JSON.parse(run.stdout) as { name: string; holder: string; token: number }[];
    assert.deepEqual(
      listed.map((l) => l.name),
      ['report'],
    );
    assert.match(listed[0]?.holder ?? '', /@/);
    assert.deepEqual(await sync.locks(), [], 'released once the command ended');
  });

  it('gives the command the fencing token and passes its exit code on', async () => {
    const script =
      'console.log(process.env.MICRO_SYNC_LOCK, process.env.MICRO_SYNC_TOKEN); process.exit(3)';
    const first = await micro(['sync', 'lock', 'job', '--', node, '-e', script], { env });
    const second = await micro(['sync', 'lock', 'job', '--', node, '-e', script], { env });
    assert.equal(first.code, 3);
    const [, t1] = first.stdout.trim().split(' ');
    const [name, t2] = second.stdout.trim().split(' ');
    assert.equal(name, 'job');
    assert.ok(Number(t2) > Number(t1), `tokens grow: ${t1} then ${t2}`);
  });

  it('fails with a 409 in the error shape, running nothing, while another holds the lock', async () => {
    const held = await sync.lock('busy', { ttl: 10_000 });
    const run = await micro(['sync', 'lock', 'busy', '--', node, '-e', 'console.log("ran")'], {
      env,
    });
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    const err = errorOf(run);
    assert.equal(err.code, 409);
    assert.match(err.detail, /held by in-test/);
    await held.unlock();
  });

  it('shows leaders and one leader as text and JSON, and a 404 for an election with none', async () => {
    const c = await sync.elect('scheduler', { ttl: 10_000 });
    const text = await micro(['sync', 'leaders'], { env });
    assert.match(text.stdout, /^ELECTION\s+LEADER\s+TERM\s+SINCE\nscheduler\s+in-test\s+\d+/);
    const one = await micro(['sync', 'leader', 'scheduler', '-o', 'json'], { env });
    assert.equal((JSON.parse(one.stdout) as { id: string }).id, 'in-test');
    const none = await micro(['sync', 'leader', 'nobody'], { env });
    assert.equal(none.code, 1);
    assert.equal(errorOf(none).code, 404);
    await c.resign();
  });

  it('refuses bad input with a 400 and a non-zero exit', async () => {
    const cases = [
      ['sync', 'lock', 'job', '--ttl', '10ms', '--', node, '-e', '0'],
      ['sync', 'lock', 'job'],
      ['sync', 'lock', 'a\u0001b', '--', node, '-e', '0'],
      ['sync', 'leader', 'x'.repeat(10_240)],
      ['sync', 'locks', '--sync', 'zookeeper'],
    ];
    for (const args of cases) {
      const run = await micro(args, { env });
      assert.equal(run.code, 1, args.join(' ').slice(0, 80));
      assert.equal(errorOf(run).code, 400, run.stderr);
    }
    assert.deepEqual(await sync.locks(), []);
  });
});

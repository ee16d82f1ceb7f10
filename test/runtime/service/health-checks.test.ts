// A service's own health checks, as Debug.Health reports them: passing, failing (thrown, rejected,
// thrown synchronously, past their timeout), critical or not, run again on their interval, and
// stopped with the service.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createClient,
  createMemoryRegistry,
  type HealthCheckResult,
} from '../../../src/runtime/index.ts';
import { closeAll, quietService } from '../../helpers/fixtures.ts';

interface Health {
  status: string;
  service: string;
  version: string;
  node: string;
  checks: HealthCheckResult[];
}

/** A started service with the given checks, a client, and Debug.Health of its node. */
async function withChecks(add: (s: ReturnType<typeof quietService>) => void) {
  const registry = createMemoryRegistry();
  const service = quietService({ name: 'checked', version: '2.0.0', registry });
  add(service);
  await service.start();
  const client = createClient({ registry });
  return {
    service,
    health: () => client.call<Health>('checked', 'Debug.Health', {}),
    close: () => closeAll(service, client, registry),
  };
}

const byName = (h: Health) => Object.fromEntries(h.checks.map((c) => [c.name, c]));

describe('health checks', () => {
  it('reports ok with no checks, as before', async () => {
    const t = await withChecks(() => undefined);
    try {
      const h = await t.health();
      assert.equal(h.status, 'ok');
      assert.equal(h.service, 'checked');
      assert.equal(h.version, '2.0.0');
      assert.equal(h.node, t.service.server.id);
      assert.deepEqual(h.checks, []);
    } finally {
      await t.close();
    }
  });

  it('runs the checks at start: passing ones are ok with their detail', async () => {
    const t = await withChecks((s) =>
      s.healthCheck('db', () => 'pool 3/10').healthCheck('cache', async () => undefined),
    );
    try {
      const h = await t.health();
      assert.equal(h.status, 'ok');
      const c = byName(h);
      assert.equal(c.db?.status, 'ok');
      assert.equal(c.db?.detail, 'pool 3/10');
      assert.equal(c.db?.critical, true);
      assert.equal(c.cache?.status, 'ok');
      assert.equal(c.cache?.detail, undefined);
      assert.ok(typeof c.db?.checked === 'number' && c.db.checked > 0);
    } finally {
      await t.close();
    }
  });

  it('a failing non-critical check (here one past its timeout) degrades the node', async () => {
    let aborted = false;
    const t = await withChecks((s) =>
      s.healthCheck(
        'slow',
        (signal) =>
          new Promise((resolve) =>
            signal.addEventListener('abort', () => {
              aborted = true;
              // Settles after its timeout: too late to count.
              resolve('done');
            }),
          ),
        { timeout: 50, critical: false },
      ),
    );
    try {
      const h = await t.health();
      assert.equal(h.status, 'degraded');
      assert.equal(byName(h).slow?.status, 'failing');
      assert.equal(byName(h).slow?.detail, 'timed out after 50 ms');
      assert.equal(aborted, true, 'the check was told through its signal');
    } finally {
      await t.close();
    }
  });

  it('a critical check that throws, synchronously or not, makes the node unhealthy', async () => {
    const t = await withChecks((s) =>
      s
        .healthCheck('sync', () => {
          throw new Error('disk full');
        })
        .healthCheck('async', () => Promise.reject(new Error('refused')))
        .healthCheck('fine', () => 'ok', { critical: false }),
    );
    try {
      const h = await t.health();
      assert.equal(h.status, 'unhealthy');
      const c = byName(h);
      assert.equal(c.sync?.status, 'failing');
      assert.equal(c.sync?.detail, 'disk full');
      assert.equal(c.async?.detail, 'refused');
      assert.equal(c.fine?.status, 'ok');
    } finally {
      await t.close();
    }
  });

  it('runs a check again on its interval, and no more once stopped', async () => {
    let broken = false;
    let runs = 0;
    const t = await withChecks((s) =>
      s.healthCheck(
        'flag',
        () => {
          runs++;
          if (broken) throw new Error('flag down');
        },
        { interval: 20 },
      ),
    );
    try {
      assert.equal((await t.health()).status, 'ok');
      broken = true;
      let status = 'ok';
      for (let i = 0; i < 200 && status === 'ok'; i++) {
        await new Promise((r) => setTimeout(r, 10));
        status = (await t.health()).status;
      }
      assert.equal(status, 'unhealthy');
      broken = false;
      for (let i = 0; i < 200 && status !== 'ok'; i++) {
        await new Promise((r) => setTimeout(r, 10));
        status = (await t.health()).status;
      }
      assert.equal(status, 'ok');
    } finally {
      await t.close();
    }
    const after = runs;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(runs, after, 'no run after stop()');
  });

  it('refuses bad names, taken names and bad options with a TypeError', () => {
    const s = quietService({ name: 'checked', registry: createMemoryRegistry() });
    s.healthCheck('db', () => undefined);
    assert.throws(() => s.healthCheck('db', () => undefined), TypeError);
    assert.throws(() => s.healthCheck('', () => undefined), TypeError);
    assert.throws(() => s.healthCheck('a b', () => undefined), TypeError);
    assert.throws(() => s.healthCheck('x'.repeat(65), () => undefined), TypeError);
    assert.throws(() => s.healthCheck('t', () => undefined, { timeout: -1 }), TypeError);
    assert.throws(() => s.healthCheck('i', () => undefined, { interval: Number.NaN }), TypeError);
    s.server.healthCheck('A-z_0.9', () => undefined);
  });
});

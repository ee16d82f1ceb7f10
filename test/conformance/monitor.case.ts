// The monitor's contract, run unchanged against the in-memory history, SQLite and the control
// plane's `monitor` service (real nodes whose checks are switched): statuses per node and per
// service, the history newest first, its filters and limit, and its bound.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Monitor } from '../../src/platform/monitor/monitor.ts';

/** A monitor as the suite drives it. */
export interface MonitorFixture {
  monitor: Monitor;
  /** Changes kept, at most (the history's bound it was made with). */
  keep: number;
  /**
   * Makes the `index`th node of `service` healthy or unhealthy (its critical check `db` failing
   * with the detail `down`); resolves with the node's id once the monitor has recorded it.
   */
  set(service: string, index: number, to: 'healthy' | 'unhealthy'): Promise<string>;
  close(): Promise<void>;
}

/** The monitor contract. */
export function runMonitorCases(label: string, make: () => Promise<MonitorFixture>): void {
  describe(`monitor contract: ${label}`, () => {
    const using = async (fn: (f: MonitorFixture) => Promise<void>) => {
      const f = await make();
      try {
        await fn(f);
      } finally {
        await f.close();
      }
    };

    it('keeps each node status, by service', () =>
      using(async (f) => {
        const a0 = await f.set('alpha', 0, 'healthy');
        const a1 = await f.set('alpha', 1, 'unhealthy');
        const b0 = await f.set('beta', 0, 'healthy');
        const alpha = await f.monitor.status({ service: 'alpha' });
        assert.deepEqual(alpha.map((n) => n.node).sort(), [a0, a1].sort());
        const bad = alpha.find((n) => n.node === a1);
        assert.equal(bad?.status, 'unhealthy');
        assert.equal(bad?.detail, 'db: down');
        assert.equal(bad?.checks.find((c) => c.name === 'db')?.status, 'failing');
        assert.equal(alpha.find((n) => n.node === a0)?.status, 'healthy');
        assert.equal(alpha[0]?.service, 'alpha');
        const all = await f.monitor.status();
        assert.ok(all.some((n) => n.node === b0 && n.status === 'healthy'));
        assert.deepEqual(await f.monitor.status({ service: 'nobody' }), []);
      }));

    it('keeps the changes newest first, filtered by service, node and time, limited', () =>
      using(async (f) => {
        const a0 = await f.set('alpha', 0, 'healthy');
        const b0 = await f.set('beta', 0, 'healthy');
        await f.set('alpha', 0, 'unhealthy');
        const middle = (await f.monitor.history({ node: a0, limit: 1 }))[0]!;
        await f.set('alpha', 0, 'healthy');

        const a = await f.monitor.history({ service: 'alpha' });
        assert.deepEqual(
          a.map((c) => [c.node, c.from, c.to]),
          [
            [a0, 'unhealthy', 'healthy'],
            [a0, 'healthy', 'unhealthy'],
            [a0, 'unknown', 'healthy'],
          ],
        );
        assert.equal(a[1]?.detail, 'db: down');
        assert.equal(a[1]?.version, '1.0.0');
        assert.ok(a[0]!.id > a[1].id && a[1].id > a[2]!.id, 'ids increase');
        assert.ok(a[0]!.time >= a[1].time);
        assert.deepEqual(
          (await f.monitor.history({ node: b0 })).map((c) => [c.service, c.to]),
          [['beta', 'healthy']],
        );
        assert.deepEqual(
          (await f.monitor.history({ service: 'alpha', since: middle.time })).map((c) => c.to),
          ['healthy', 'unhealthy'],
        );
        assert.equal((await f.monitor.history({ service: 'alpha', limit: 2 })).length, 2);
        assert.deepEqual(await f.monitor.history({ service: 'nobody' }), []);
      }));

    it('keeps only the newest changes past its bound', () =>
      using(async (f) => {
        const node = await f.set('alpha', 0, 'healthy');
        for (let i = 0; i < f.keep + 2; i++)
          await f.set('alpha', 0, i % 2 === 0 ? 'unhealthy' : 'healthy');
        const all = await f.monitor.history({ limit: 1000 });
        assert.equal(all.length, f.keep);
        const mine = await f.monitor.history({ node });
        // The first (unknown -> healthy) and the next ones are gone; the newest is the last made.
        assert.ok(mine.length <= f.keep);
        assert.ok(!mine.some((c) => c.from === 'unknown'));
        assert.equal(mine[0]?.to, (f.keep + 1) % 2 === 0 ? 'unhealthy' : 'healthy');
      }));
  });
}

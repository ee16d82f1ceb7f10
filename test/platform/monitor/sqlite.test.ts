import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { openDatabase } from '../../../src/registry/sqlite.ts';
import { sqliteHistory } from '../../../src/platform/monitor/sqlite.ts';
import { createTracker } from '../../../src/platform/monitor/tracker.ts';
import { runMonitorCases } from '../../conformance/monitor.case.ts';
import { fedFixture } from './fixtures.ts';

/** A tracker over a new micro.db's history, kept to `keep` changes. */
async function opened(keep: number) {
  const dir = await mkdtemp(join(tmpdir(), 'micro-monitor-sqlite-'));
  const path = join(dir, 'micro.db');
  const db = openDatabase(path);
  const tracker = createTracker({ history: sqliteHistory(db, keep) });
  const close = async () => {
    await tracker.close();
    db.close();
  };
  return { tracker, path, dir, close };
}

runMonitorCases('sqlite', async () => {
  const o = await opened(5);
  return fedFixture(o.tracker, 5, async () => {
    await o.close();
    await rm(o.dir, { recursive: true, force: true });
  });
});

it('keeps the history across a restart of the control plane', async () => {
  const o = await opened(100);
  try {
    const f = fedFixture(o.tracker, 100);
    const node = await f.set('alpha', 0, 'unhealthy');
    await o.close();
    const db = openDatabase(o.path);
    const again = createTracker({ history: sqliteHistory(db, 100) });
    const changes = await again.history({ node });
    assert.deepEqual(
      changes.map((c) => [c.from, c.to, c.detail]),
      [['unknown', 'unhealthy', 'db: down']],
    );
    // Statuses are not kept: the restarted monitor probes again.
    assert.deepEqual(await again.status(), []);
    db.close();
  } finally {
    await rm(o.dir, { recursive: true, force: true });
  }
});

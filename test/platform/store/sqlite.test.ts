import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createSqliteStore } from '../../../src/platform/store/sqlite.ts';
import { runStoreCases } from '../../conformance/store.case.ts';

const dir = mkdtempSync(join(tmpdir(), 'micro-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

runStoreCases('sqlite', () =>
  createSqliteStore({ path: join(dir, 'micro.db'), sweepInterval: 100 }),
);

describe('sqlite store', () => {
  it('keeps entries and versions across a reopen, and never hands out a version again', async () => {
    const path = join(dir, 'reopen.db');
    const first = createSqliteStore({ path });
    const kept = await first.put('a/b', { n: 1 }, { database: 'svc', table: 'x' });
    const gone = await first.put('gone', 1);
    await first.delete('gone');
    await first.close();
    const second = createSqliteStore({ path, synchronous: 'FULL' });
    try {
      assert.deepEqual(await second.get('a/b', { database: 'svc', table: 'x' }), kept);
      const again = await second.put('gone', 2);
      assert.ok(Number(again.version) > Number(gone.version));
      assert.deepEqual(await second.namespaces(), [
        { database: 'micro', table: 'default' },
        { database: 'svc', table: 'x' },
      ]);
    } finally {
      await second.close();
    }
  });

  it('tells watchers when the sweep removes an expired entry', async () => {
    const store = createSqliteStore({ path: join(dir, 'sweep.db'), sweepInterval: 50 });
    try {
      const w = store.watch({ prefix: 's/' });
      await store.put('s/1', 'x', { ttl: 1000 });
      const seen: string[] = [];
      for await (const e of w) {
        seen.push(`${e.action} ${e.key}`);
        if (e.action === 'delete') break;
      }
      assert.deepEqual(seen, ['put s/1', 'delete s/1']);
      assert.equal(await store.get('s/1'), undefined);
    } finally {
      await store.close();
    }
  });
});

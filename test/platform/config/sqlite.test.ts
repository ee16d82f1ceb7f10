import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CONFIG_LIMITS } from '../../../src/platform/config/config.ts';
import { createSqliteConfig } from '../../../src/platform/config/sqlite.ts';
import { openDatabase } from '../../../src/registry/sqlite.ts';
import { runConfigCases } from '../../conformance/config.case.ts';
import { scratchDir } from '../../helpers/lifecycle.ts';

const dir = scratchDir('micro-config-sqlite-');
runConfigCases('sqlite', () => createSqliteConfig({ path: join(dir, 'micro.db') }));

describe('sqlite config', () => {
  it('keeps the last versions of a namespace, reads any of them, and survives a reopen', async () => {
    const path = join(dir, 'history.db');
    const config = createSqliteConfig({ path });
    const total = CONFIG_LIMITS.history + 75;
    for (let i = 1; i <= total; i++) await config.set(`k${i % 7}`, i, { namespace: 'busy' });
    await config.close();

    const reopened = createSqliteConfig({ path });
    try {
      const all = await reopened.history({ namespace: 'busy', limit: 5000 });
      assert.equal(all.length, CONFIG_LIMITS.history);
      const oldest = total - CONFIG_LIMITS.history + 1;
      assert.equal(all.at(-1)?.version, oldest);
      // The oldest kept version is one snapshot plus changes replayed: every key as last set then.
      const expected = Object.fromEntries(
        Array.from({ length: 7 }, (_, k) => {
          let last = oldest;
          while (last % 7 !== k) last--;
          return [`k${k}`, last];
        }),
      );
      assert.deepEqual(await reopened.at(oldest, { namespace: 'busy' }), expected);
      await assert.rejects(reopened.at(oldest - 1, { namespace: 'busy' }), { code: 404 });
      assert.deepEqual((await reopened.get('k0', { namespace: 'busy' })).version, total);
    } finally {
      await reopened.close();
    }
    const db = openDatabase(path);
    const { rows } = db
      .prepare("SELECT count(*) AS rows FROM config_versions WHERE namespace = 'busy'")
      .get() as { rows: number };
    db.close();
    assert.ok(rows <= CONFIG_LIMITS.history + 50, `${rows} rows kept`);
  });
});

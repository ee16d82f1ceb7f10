import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { QueryOptions } from '../../../src/platform/db/db.ts';
import { Catalog } from '../../../src/platform/db/sqlite-catalog.ts';
import { Compiler } from '../../../src/platform/db/sqlite-sql.ts';
import { createSqliteDb } from '../../../src/platform/db/sqlite.ts';
import { checkQuery } from '../../../src/platform/db/validate.ts';
import { openDatabase } from '../../../src/registry/sqlite.ts';
import { runDbCases } from '../../conformance/db.case.ts';

const dir = mkdtempSync(join(tmpdir(), 'micro-db-'));
after(() => rmSync(dir, { recursive: true, force: true }));

runDbCases('sqlite', () => createSqliteDb({ path: join(dir, 'micro.db') }));

describe('sqlite db', () => {
  it('keeps records, versions and indexes across a reopen', async () => {
    const path = join(dir, 'reopen.db');
    const first = createSqliteDb({ path });
    await first.createIndex('users', { fields: ['email'], unique: true }, { database: 'svc' });
    const ada = await first.create('users', { email: 'ada@x' }, { database: 'svc', id: 'ada' });
    const v2 = await first.update('users', 'ada', { name: 'Ada' }, { database: 'svc' });
    await first.close();
    const second = createSqliteDb({ path, database: 'svc' });
    try {
      assert.deepEqual(await second.read('users', 'ada'), v2);
      assert.equal(v2.createdAt, ada.createdAt);
      await assert.rejects(second.create('users', { email: 'ada@x' }), { code: 409 });
      assert.deepEqual(await second.collections(), [
        {
          database: 'svc',
          collection: 'users',
          count: 1,
          indexes: [{ name: 'email', fields: ['email'], unique: true }],
        },
      ]);
      assert.deepEqual((await second.query('users', { where: { email: 'ada@x' } })).records, [v2]);
    } finally {
      await second.close();
    }
  });

  it('answers an indexed equality, range and sort from the index, others by a scan', async () => {
    const sql = openDatabase(join(dir, 'plan.db'));
    const db = createSqliteDb({ db: sql });
    try {
      await db.createIndex('people', { fields: ['team', 'age'] });
      await db.createIndex('people', { fields: ['address.city'] });
      for (let i = 0; i < 50; i++)
        await db.create('people', { team: `t${i % 5}`, age: i, address: { city: `c${i % 7}` } });
      const plan = (options: QueryOptions): string => {
        const c = new Catalog(sql).find('micro', 'people')!;
        const compiler = new Compiler(c.indexed);
        const text = compiler.select(c.table, checkQuery(options));
        const rows = sql.prepare(`EXPLAIN QUERY PLAN ${text}`).all(compiler.params);
        return (rows as { detail: string }[]).map((r) => r.detail).join('; ');
      };
      assert.match(
        plan({ where: { team: 't1' } }),
        /SEARCH db_r\d+ USING INDEX db_r\d+_i\d+ \(t\d+=\? AND v\d+=\?\)/,
      );
      assert.match(
        plan({ where: { team: 't1', age: { $gte: 30 } } }),
        /USING INDEX db_r\d+_i\d+ \(t\d+=\? AND v\d+=\? AND t\d+=\? AND v\d+>\?\)/,
      );
      assert.match(
        plan({ where: { 'address.city': { $prefix: 'c1' } } }),
        /USING INDEX db_r\d+_i\d+ \(t\d+=\? AND v\d+>\? AND v\d+<\?\)/,
      );
      assert.match(plan({ where: { team: 't1' }, sort: ['age'] }), /USING INDEX/);
      assert.doesNotMatch(plan({ where: { team: 't1' }, sort: ['age'] }), /TEMP B-TREE/);
      assert.match(plan({ where: { age: 3 } }), /SCAN db_r\d+/);
      const found = await db.query('people', {
        where: { team: 't1', age: { $gte: 30 } },
        sort: ['-age'],
      });
      assert.deepEqual(
        found.records.map((r) => r.data.age),
        [46, 41, 36, 31],
      );
    } finally {
      await db.close();
      assert.equal(sql.open, true, 'a shared connection is left open');
      sql.close();
    }
  });
});

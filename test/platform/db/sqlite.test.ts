import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { JsonObject, QueryOptions } from '../../../src/platform/db/db.ts';
import { createMemoryDb } from '../../../src/platform/db/memory.ts';
import { Catalog } from '../../../src/platform/db/sqlite-catalog.ts';
import { Compiler } from '../../../src/platform/db/sqlite-sql.ts';
import { createSqliteDb } from '../../../src/platform/db/sqlite.ts';
import { checkQuery } from '../../../src/platform/db/validate.ts';
import { openDatabase } from '../../../src/registry/sqlite.ts';
import { all, runDbCases } from '../../conformance/db.case.ts';

const dir = mkdtempSync(join(tmpdir(), 'micro-db-'));
after(() => rmSync(dir, { recursive: true, force: true }));

runDbCases('sqlite', () => createSqliteDb({ path: join(dir, 'micro.db') }));

describe('sqlite db', () => {
  it('leaves, after the contract suite, only its catalog and one table per listed collection', async () => {
    const sql = openDatabase(join(dir, 'micro.db'));
    try {
      const tables = sql
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .pluck()
        .all() as string[];
      const listed = sql
        .prepare('SELECT tbl FROM db_collections ORDER BY tbl')
        .pluck()
        .all() as number[];
      assert.ok(listed.length > 10);
      assert.deepEqual(
        tables,
        ['db_collections', 'db_indexes', ...listed.map((n) => `db_r${n}`)].sort(),
      );
    } finally {
      sql.close();
    }
  });

  it('answers random queries exactly as the memory db does, with and without indexes', async () => {
    let seed = 17;
    const rand = (n: number): number => (seed = (seed * 48271) % 2147483647) % n;
    const pick = <T>(list: T[]): T => list[rand(list.length)]!;
    const values = [
      null,
      true,
      false,
      0,
      -2,
      2.5,
      7,
      1e20,
      '',
      'a',
      'ab',
      'B',
      'é',
      '😀',
      { x: 1 },
      [1],
    ];
    const memory = createMemoryDb();
    const sqlite = createSqliteDb({ path: join(dir, 'random.db') });
    try {
      for (let i = 0; i < 200; i++) {
        const data: JsonObject = {};
        if (rand(4) > 0) data.a = pick(values);
        if (rand(4) > 0) data.b = rand(3) > 0 ? { c: pick(values) } : pick(values);
        const id = `id${rand(1000)}-${i}`;
        for (const db of [memory, sqlite]) await db.create('r', data, { id });
      }
      const scalar = () => pick(values.filter((v) => typeof v !== 'object'));
      const condition = (): unknown =>
        pick([
          () => scalar(),
          () => ({ $ne: scalar() }),
          () => ({ [pick(['$lt', '$lte', '$gt', '$gte'])]: pick([0, 2.5, 'a', 'B', '']) }),
          () => ({ $prefix: pick(['', 'a', 'é']) }),
          () => ({ $in: [scalar(), scalar()].filter((v) => v !== null) }),
        ])();
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 100; i++) {
          const where = Object.fromEntries(
            ['a', 'b.c', 'b'].filter(() => rand(2) === 0).map((f) => [f, condition()]),
          ) as QueryOptions['where'];
          const sort = ['a', 'b.c', 'b', 'id']
            .filter(() => rand(3) === 0)
            .map((f) => (rand(2) === 0 ? f : `-${f}`));
          const options = { where, sort, limit: 1 + rand(40) };
          const [m, s] = await Promise.all([all(memory, 'r', options), all(sqlite, 'r', options)]);
          assert.deepEqual(
            s.map((r) => r.id),
            m.map((r) => r.id),
            JSON.stringify(options),
          );
        }
        await sqlite.createIndex('r', { fields: ['a', 'b.c'] });
        await sqlite.createIndex('r', { fields: ['b.c'] });
        await sqlite.createIndex('r', { fields: ['b'] });
      }
    } finally {
      await sqlite.close();
    }
  });

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

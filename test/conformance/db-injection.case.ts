// Part of the db contract (db.case.ts runs it): hostile strings through every field of every call
// (names, ids, field paths, values, sort, cursor, index names) are refused with a 400 or taken as
// plain data: never another error (an SQL error would be a 500), never a record that does not
// match, and afterwards every collection holds exactly what it held.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import type { Db, DbRecord, QueryOptions } from '../../src/platform/db/db.ts';

/** Strings an attacker would try on SQL, JSON paths and names. */
export const HOSTILE: string[] = [
  "a') OR 1=1 --",
  "' OR '1'='1",
  '" OR ""="',
  "'; DROP TABLE db_collections; --",
  'x"); DELETE FROM db_collections; --',
  '1; SELECT 1',
  '$.x',
  '$',
  '$[0]',
  '$."secret"',
  'f[0]',
  '*',
  '%',
  '_',
  '%_',
  '\\',
  "'",
  '"',
  '`',
  'a\0b',
  '\0',
  'é😀',
  '\u202e\u200b',
  '\ud800',
  'a.b',
  '-a',
  '../secret',
  'data',
  'id',
  'ORDER',
  'null',
  'json_extract(data, "$.secret")',
  '{"$gt":""}',
  "a'||'b",
  'x'.repeat(300),
  '',
];

const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The call's result, or undefined when it was refused with the db's 400; anything else fails. */
async function plain<T>(what: string, p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    const e = err as { code?: number; id?: string };
    if (e.code === 400 && e.id === 'db') return undefined;
    throw new Error(`${what}: not a 400 but ${JSON.stringify(err)} ${String(err)}`, {
      cause: err,
    });
  }
}

/** Registers the injection case; `get` gives the suite's db. */
export function runInjectionCases(get: () => Db): void {
  it('takes hostile strings in every field as data or refuses them with a 400, never leaking or breaking', async () => {
    const db = get();
    const database = `t-${randomUUID().slice(0, 13)}`;
    for (let i = 0; i < 3; i++)
      await db.create('victim', { secret: 'top', n: i }, { database, id: `s${i}` });
    const secret = (await db.query('victim', { database })).records;
    const kept = new Map<string, DbRecord>();
    const base = await db.create('target', { f: 'base', n: 1 }, { database, id: 'base' });
    kept.set(base.id, base);
    const known = (
      what: string,
      records: DbRecord[] | undefined,
      want?: (r: DbRecord) => boolean,
    ) => {
      if (!records) return;
      for (const r of records)
        assert.deepEqual(r, kept.get(r.id), `${what} gave an unknown record ${r.id}`);
      if (want)
        assert.deepEqual(
          records.map((r) => r.id).sort(),
          [...kept.values()]
            .filter(want)
            .map((r) => r.id)
            .sort(),
          what,
        );
    };
    const q = (what: string, o: QueryOptions) =>
      plain(what, db.query('target', { database, ...o, limit: 1000 }));
    const made: string[] = [];
    for (const [i, h] of HOSTILE.entries()) {
      const at = `hostile ${i} ${JSON.stringify(h)}`;
      // As a collection, a database, an id, a top-level name, a value.
      if (await plain(`${at} collection`, db.create(h, { a: 1 }, { database }))) made.push(h);
      assert.equal(
        await plain(`${at} database`, db.read('target', 'base', { database: h })),
        undefined,
      );
      assert.equal(await plain(`${at} read`, db.read('target', h, { database })), undefined);
      for (const r of [
        await plain(`${at} value`, db.create('target', { f: h }, { database, id: `v${i}` })),
        await plain(`${at} id`, db.create('target', { f: h, [h]: h }, { database, id: h })),
        await plain(
          `${at} upsert`,
          db.update('target', `u${i}`, { g: h }, { database, upsert: true }),
        ),
      ])
        if (r) kept.set(r.id, r);
      // As values of every operator.
      const f = (r: DbRecord) => r.data.f;
      known(`${at} eq`, (await q(`${at} eq`, { where: { f: h } }))?.records, (r) => f(r) === h);
      known(
        `${at} ne`,
        (await q(`${at} ne`, { where: { f: { $ne: h } } }))?.records,
        (r) => f(r) !== h,
      );
      known(
        `${at} in`,
        (await q(`${at} in`, { where: { f: { $in: [h, 'base'] } } }))?.records,
        (r) => f(r) === h || f(r) === 'base',
      );
      known(
        `${at} gt`,
        (await q(`${at} gt`, { where: { f: { $gt: h } } }))?.records,
        (r) => typeof f(r) === 'string' && byBytes(f(r) as string, h) > 0,
      );
      known(
        `${at} lte`,
        (await q(`${at} lte`, { where: { f: { $lte: h } } }))?.records,
        (r) => typeof f(r) === 'string' && byBytes(f(r) as string, h) <= 0,
      );
      known(
        `${at} prefix`,
        (await q(`${at} prefix`, { where: { f: { $prefix: h } } }))?.records,
        (r) => typeof f(r) === 'string' && (f(r) as string).startsWith(h),
      );
      // As field paths: in a where, a sort, an index; and as a cursor and an index name.
      const path = await q(`${at} path`, { where: { [h]: h } });
      known(`${at} path`, path?.records);
      if (path && /^[A-Za-z0-9-]+$/.test(h) && kept.has(h))
        assert.ok(
          path.records.some((r) => r.id === h),
          `${at} path`,
        );
      known(
        `${at} nested`,
        (await q(`${at} nested`, { where: { [`f.${h}`]: 1, n: { $gte: 0 } } }))?.records,
        () => false,
      );
      for (const s of [h, `-${h}`]) {
        const sorted = await q(`${at} sort`, { sort: [s] });
        known(`${at} sort`, sorted?.records, () => true);
      }
      known(`${at} cursor`, (await q(`${at} cursor`, { cursor: h }))?.records);
      const c = await plain(
        `${at} count`,
        db.count('target', { database, where: { [h]: { $ne: null } } }),
      );
      if (c !== undefined) assert.ok(c >= 0 && c <= kept.size, at);
      for (const index of [
        { fields: [h] },
        { name: h, fields: ['f'] },
        { fields: ['f', h], unique: true },
      ]) {
        const ix = await plain(`${at} index`, db.createIndex('target', index, { database }));
        if (!ix) continue;
        known(
          `${at} indexed`,
          (await q(`${at} indexed`, { where: { f: h } }))?.records,
          (r) => f(r) === h,
        );
        assert.equal(await db.dropIndex('target', ix.name, { database }), true, at);
      }
      assert.equal(
        (await plain(`${at} drop index`, db.dropIndex('target', h, { database }))) ?? false,
        false,
      );
      assert.equal(
        (await plain(`${at} delete`, db.delete('victim', h, { database }))) ?? false,
        false,
      );
    }
    // Everything is where it was: the victim untouched, the data collection as written.
    assert.deepEqual((await db.query('victim', { database })).records, secret);
    known('all', (await db.query('target', { database, limit: 1000 })).records, () => true);
    const expected = new Map<string, number>([
      ['victim', 3],
      ['target', kept.size],
    ]);
    for (const name of made) expected.set(name, 1);
    const listed = await db.collections(database);
    assert.deepEqual(
      listed.map((l) => [l.collection, l.count, l.indexes]),
      [...expected].sort((a, b) => byBytes(a[0], b[0])).map(([name, n]) => [name, n, []]),
    );
    for (const name of made) assert.equal(await db.dropCollection(name, { database }), true);
  });
}

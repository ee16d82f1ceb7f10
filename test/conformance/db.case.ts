// The db contract: one suite run unchanged against every Db (memory, SQLite, PostgreSQL, the
// control plane's client). Each test works in a database of its own, so engines shared between
// runs or tests need no cleaning. The injection cases (db-injection.case.ts) run inside it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Db, DbRecord, JsonObject, QueryOptions } from '../../src/platform/db/db.ts';
import { DB_LIMITS } from '../../src/platform/db/db.ts';
import { runInjectionCases } from './db-injection.case.ts';

/** A database of this test's own. */
export const fresh = (): string => `t-${randomUUID().slice(0, 13)}`;

/** Expects a db error with this code whose detail matches `detail`. */
export async function refused(p: Promise<unknown>, code: number, detail: RegExp): Promise<void> {
  await assert.rejects(p, (err: { id?: string; code?: number; detail?: string }) => {
    assert.equal(err.code, code, `expected ${code}, got ${JSON.stringify(err)}`);
    assert.equal(err.id, 'db', JSON.stringify(err));
    assert.match(err.detail ?? '', detail);
    return true;
  });
}

const ids = (records: DbRecord[]): string[] => records.map((r) => r.id);

/** Every record of a query, page by page (bounded), checking no page is over its limit. */
export async function all(db: Db, collection: string, options: QueryOptions): Promise<DbRecord[]> {
  const out: DbRecord[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await db.query(collection, { ...options, ...(cursor && { cursor }) });
    assert.ok(page.records.length <= (options.limit ?? 100));
    out.push(...page.records);
    if (!page.next) return out;
    cursor = page.next;
  }
  throw new Error('more than 1,000 pages');
}

/** Runs the db contract against the dbs `make` gives (one per suite, closed at its end). */
export function runDbCases(name: string, make: () => Db | Promise<Db>): void {
  describe(`db contract: ${name}`, () => {
    let db: Db;
    before(async () => {
      db = await make();
    });
    after(async () => {
      await db?.close();
    });

    it('creates, reads and deletes JSON records, with ids, versions and times', async () => {
      const database = fresh();
      const data = {
        name: 'Ada',
        tags: ['a', 'b'],
        n: 1.5,
        ok: true,
        none: null,
        deep: { x: [1, { y: 'z' }] },
      };
      const t0 = Date.now();
      const made = await db.create('users', data, { database });
      assert.match(made.id, /^[0-9a-f-]{36}$/);
      assert.equal(made.version, 1);
      assert.ok(made.createdAt >= t0 - 1000 && made.createdAt <= Date.now() + 1000);
      assert.equal(made.updatedAt, made.createdAt);
      assert.deepEqual(made.data, data);
      const got = await db.read('users', made.id, { database });
      assert.deepEqual(got, made);
      got.data.name = 'changed by the caller';
      assert.equal((await db.read('users', made.id, { database }))?.data.name, 'Ada');
      const named = await db.create('users', { name: 'Grace' }, { database, id: 'grace' });
      assert.equal(named.id, 'grace');
      await refused(
        db.create('users', { name: 'other' }, { database, id: 'grace' }),
        409,
        /"grace"/,
      );
      assert.equal((await db.read('users', 'grace', { database }))?.data.name, 'Grace');
      assert.equal(await db.read('users', 'nobody', { database }), undefined);
      assert.equal(await db.read('other', 'grace', { database }), undefined);
      assert.equal(await db.delete('users', 'grace', { database }), true);
      assert.equal(await db.read('users', 'grace', { database }), undefined);
      assert.equal(await db.delete('users', 'grace', { database }), false);
      assert.equal(await db.delete('never', 'x', { database }), false);
      await refused(db.update('users', 'grace', { a: 1 }, { database }), 404, /"grace"/);
      assert.equal(await db.read('users', 'grace', { database }), undefined);
    });

    it('counts versions, and a stale ifVersion is a 409 that changes nothing', async () => {
      const database = fresh();
      const v1 = await db.create('c', { n: 1 }, { database, id: 'k' });
      const v2 = await db.update('c', 'k', { n: 2 }, { database, ifVersion: 1 });
      assert.equal(v2.version, 2);
      assert.equal(v2.createdAt, v1.createdAt);
      assert.ok(v2.updatedAt >= v1.updatedAt);
      await refused(
        db.update('c', 'k', { n: 3 }, { database, ifVersion: 1 }),
        409,
        /"k".*version 2/,
      );
      await refused(db.delete('c', 'k', { database, ifVersion: 1 }), 409, /"k"/);
      assert.deepEqual(await db.read('c', 'k', { database }), v2);
      await refused(db.update('c', 'gone', { n: 1 }, { database, ifVersion: 1 }), 409, /"gone"/);
      await refused(db.delete('c', 'gone', { database, ifVersion: 1 }), 409, /"gone"/);
      const v3 = await db.update('c', 'k', { n: 3 }, { database, mode: 'replace' });
      assert.equal(v3.version, 3);
      assert.equal(await db.delete('c', 'k', { database, ifVersion: 3 }), true);
      assert.equal(await db.read('c', 'k', { database }), undefined);
    });

    it('lets one of concurrent writers win a version, an id or a unique value; the others get a 409', async () => {
      const database = fresh();
      await db.create('race', { n: 0 }, { database, id: 'r' });
      await db.createIndex('race', { fields: ['email'], unique: true }, { database });
      const settle = async (calls: Promise<unknown>[]) => {
        const results = await Promise.allSettled(calls);
        for (const r of results)
          if (r.status === 'rejected') assert.equal((r.reason as { code?: number }).code, 409);
        return results.filter((r) => r.status === 'fulfilled').length;
      };
      const five = [1, 2, 3, 4, 5];
      assert.equal(
        await settle(five.map((n) => db.update('race', 'r', { n }, { database, ifVersion: 1 }))),
        1,
      );
      assert.equal((await db.read('race', 'r', { database }))?.version, 2);
      assert.equal(
        await settle(five.map((n) => db.create('race', { n }, { database, id: 'same' }))),
        1,
      );
      assert.equal(
        await settle(five.map((n) => db.create('race', { n, email: 'e@x' }, { database }))),
        1,
      );
      assert.equal(await db.count('race', { database, where: { email: 'e@x' } }), 1);
      assert.equal(await db.count('race', { database }), 3);
    });

    it('merges a JSON merge patch, or replaces the whole record', async () => {
      const database = fresh();
      await db.create(
        'm',
        { a: 1, b: { c: 2, d: 3 }, list: [1, 2], gone: 'x' },
        { database, id: 'r' },
      );
      const merged = await db.update(
        'm',
        'r',
        { b: { c: 20, e: null, f: { g: 1 } }, list: [3], gone: null, z: 'new' },
        { database },
      );
      assert.deepEqual(merged.data, { a: 1, b: { c: 20, d: 3, f: { g: 1 } }, list: [3], z: 'new' });
      const explicit = await db.update('m', 'r', { a: 2 }, { database, mode: 'merge' });
      assert.deepEqual(explicit.data, { ...merged.data, a: 2 });
      const replaced = await db.update('m', 'r', { only: true }, { database, mode: 'replace' });
      assert.deepEqual(replaced.data, { only: true });
      assert.deepEqual((await db.read('m', 'r', { database }))?.data, { only: true });
      assert.equal(replaced.version, 4);
    });

    it('upserts a missing record only when asked', async () => {
      const database = fresh();
      await refused(db.update('u', 'x', { a: 1 }, { database }), 404, /"x"/);
      assert.equal(await db.count('u', { database }), 0);
      const made = await db.update('u', 'x', { a: 1, b: null }, { database, upsert: true });
      assert.equal(made.version, 1);
      assert.deepEqual(made.data, { a: 1 });
      const again = await db.update('u', 'x', { b: 2 }, { database, upsert: true });
      assert.deepEqual([again.version, again.data], [2, { a: 1, b: 2 }]);
      const replaced = await db.update(
        'u',
        'y',
        { c: 3 },
        { database, upsert: true, mode: 'replace' },
      );
      assert.deepEqual([replaced.version, replaced.data], [1, { c: 3 }]);
      await refused(
        db.update('u', 'z', { a: 1 }, { database, upsert: true, ifVersion: 1 }),
        409,
        /"z"/,
      );
      assert.equal(await db.read('u', 'z', { database }), undefined);
    });

    runOperatorCases(() => db);
    runOrderCases(() => db);
    runIndexCases(() => db);
    runInjectionCases(() => db);
    runBadInputCases(() => db);

    it('drops a collection with its records and indexes, and keeps databases apart', async () => {
      const one = fresh();
      const two = fresh();
      await db.create('shared', { n: 1 }, { database: one, id: 'a' });
      await db.create('shared', { n: 2 }, { database: two, id: 'a' });
      await db.create('other', { n: 3 }, { database: one, id: 'b' });
      await db.createIndex('shared', { fields: ['n'], unique: true }, { database: one });
      assert.equal((await db.read('shared', 'a', { database: one }))?.data.n, 1);
      assert.equal((await db.read('shared', 'a', { database: two }))?.data.n, 2);
      assert.deepEqual(
        ids((await db.query('shared', { database: two, where: { n: 1 } })).records),
        [],
      );
      assert.deepEqual(
        (await db.collections(one)).map((c) => [
          c.database,
          c.collection,
          c.count,
          c.indexes.length,
        ]),
        [
          [one, 'other', 1, 0],
          [one, 'shared', 1, 1],
        ],
      );
      const every = await db.collections();
      const listed = every.filter((c) => c.database === one || c.database === two);
      // Every database's, in order (an engine shared with other runs may have 1,000 before ours).
      assert.ok(every.length <= 1000);
      for (let i = 1; i < every.length; i++) {
        const [a, b] = [every[i - 1]!, every[i]!];
        assert.ok(
          a.database < b.database || (a.database === b.database && a.collection < b.collection),
        );
      }
      if (every.length < 1000)
        assert.deepEqual(
          listed.map((c) => `${c.database}/${c.collection}`),
          [`${one}/other`, `${one}/shared`, `${two}/shared`].sort(),
        );
      assert.equal(await db.dropCollection('shared', { database: one }), true);
      assert.equal(await db.dropCollection('shared', { database: one }), false);
      assert.equal(await db.read('shared', 'a', { database: one }), undefined);
      assert.deepEqual(
        (await db.collections(one)).map((c) => c.collection),
        ['other'],
      );
      assert.equal((await db.read('shared', 'a', { database: two }))?.data.n, 2);
      // Made anew, the collection has no index left: the same value twice is fine.
      await db.create('shared', { n: 5 }, { database: one });
      await db.create('shared', { n: 5 }, { database: one });
      assert.deepEqual(
        (await db.collections(one)).find((c) => c.collection === 'shared')?.indexes,
        [],
      );
    });
  });
}

/** Records of every type, in the contract's type order (the ids say where each goes). */
export const ORDERED: [string, JsonObject][] = [
  ['t00-missing', {}],
  ['t01-null', { v: null }],
  ['t02-object', { v: { a: 1 } }],
  ['t03-array', { v: [1] }],
  ['t04-false', { v: false }],
  ['t05-true', { v: true }],
  ['t06-neg', { v: -1e9 }],
  ['t07-minus', { v: -1.5 }],
  ['t08-zero', { v: 0 }],
  ['t09-two', { v: 2 }],
  ['t10-ten', { v: 10 }],
  ['t11-big', { v: 1e300 }],
  ['t12-empty', { v: '' }],
  ['t13-10', { v: '10' }],
  ['t14-B', { v: 'B' }],
  ['t15-a', { v: 'a' }],
  ['t16-ab', { v: 'ab' }],
  ['t17-e-acute', { v: 'é' }],
  ['t18-fffd', { v: '\ufffd' }],
  ['t19-emoji', { v: '😀' }],
];

function runOperatorCases(get: () => Db): void {
  it('matches equality, ranges, prefixes and $in, on nested paths and the record own fields', async () => {
    const db = get();
    const database = fresh();
    const rows: [string, JsonObject][] = [
      ['a', { n: 1, s: 'apple', flag: true, addr: { city: 'Paris', zip: 75001 } }],
      ['b', { n: 2, s: 'apricot', flag: false, addr: { city: 'Lyon' } }],
      ['c', { n: 3, s: 'banana', flag: null, addr: 'not an object' }],
      ['d', { n: '3', s: 'Apple', addr: { city: ['Paris'] } }],
      ['e', { n: 10.5, s: 'app', list: [1, 2] }],
      ['f', { s: 'ápple', list: { '0': 'x' } }],
    ];
    for (const [id, data] of rows) await db.create('ops', data, { database, id });
    const q = async (where: QueryOptions['where']) =>
      ids((await db.query('ops', { database, where })).records);
    assert.deepEqual(await q({ n: 3 }), ['c']);
    assert.deepEqual(await q({ n: '3' }), ['d']);
    assert.deepEqual(await q({ n: { $eq: 3 } }), ['c']);
    assert.deepEqual(await q({ flag: true }), ['a']);
    assert.deepEqual(await q({ flag: false }), ['b']);
    assert.deepEqual(await q({ flag: null }), ['c', 'd', 'e', 'f']);
    assert.deepEqual(await q({ flag: { $ne: null } }), ['a', 'b']);
    assert.deepEqual(await q({ n: { $ne: 3 } }), ['a', 'b', 'd', 'e', 'f']);
    assert.deepEqual(await q({ n: { $gt: 1 } }), ['b', 'c', 'e']);
    assert.deepEqual(await q({ n: { $gte: 2, $lt: 10.5 } }), ['b', 'c']);
    assert.deepEqual(await q({ n: { $lte: 2 } }), ['a', 'b']);
    assert.deepEqual(await q({ n: { $gte: '0' } }), ['d']);
    assert.deepEqual(await q({ s: { $gt: 'apple' } }), ['b', 'c', 'f']);
    assert.deepEqual(await q({ s: { $lt: 'a' } }), ['d']);
    assert.deepEqual(await q({ s: { $prefix: 'app' } }), ['a', 'e']);
    assert.deepEqual(await q({ s: { $prefix: 'ápp' } }), ['f']);
    assert.deepEqual(await q({ s: { $prefix: '' } }), ['a', 'b', 'c', 'd', 'e', 'f']);
    assert.deepEqual(await q({ n: { $prefix: '3' } }), ['d']);
    assert.deepEqual(await q({ n: { $in: [1, '3', 10.5, true] } }), ['a', 'd', 'e']);
    assert.deepEqual(await q({ flag: { $in: [false] } }), ['b']);
    assert.deepEqual(await q({ 'addr.city': 'Paris' }), ['a']);
    assert.deepEqual(await q({ 'addr.zip': { $gte: 75000 } }), ['a']);
    // null is missing or null: an array or an object is neither.
    assert.deepEqual(await q({ 'addr.city': null }), ['c', 'e', 'f']);
    // A path goes through objects only: an array on the way, or its members, are missing.
    assert.deepEqual(await q({ 'list.0': 1 }), []);
    assert.deepEqual(await q({ 'list.0': 'x' }), ['f']);
    assert.deepEqual(await q({ 'addr.city.0': 'Paris' }), []);
    assert.deepEqual(await q({ id: 'c' }), ['c']);
    assert.deepEqual(await q({ id: { $in: ['a', 'e', 'zz'] } }), ['a', 'e']);
    assert.deepEqual(await q({ id: { $gt: 'c' }, n: { $ne: null } }), ['d', 'e']);
    const c = await db.read('ops', 'c', { database });
    assert.deepEqual(
      await q({ createdAt: { $gte: c!.createdAt - 86_400_000 }, s: { $prefix: 'b' } }),
      ['c'],
    );
    assert.deepEqual(await q({ updatedAt: { $lt: 0 } }), []);
    assert.deepEqual(await q({ id: 5 }), []);
    assert.equal(await db.count('ops', { database, where: { n: { $gte: 2 } } }), 3);
    assert.equal(await db.count('ops', { database }), 6);
    assert.equal(await db.count('none', { database }), 0);
    assert.deepEqual((await db.query('none', { database })).records, []);
  });
}

function runOrderCases(get: () => Db): void {
  it('sorts in the type order, ascending and descending, ties broken by id', async () => {
    const db = get();
    const database = fresh();
    for (const [id, data] of [...ORDERED].reverse())
      await db.create('order', data, { database, id });
    const order = ORDERED.map(([id]) => id);
    const asc = ids((await db.query('order', { database, sort: ['v'] })).records);
    assert.deepEqual(asc.slice(4), order.slice(4));
    // Missing, null, objects and arrays sort alike: among them, by id.
    assert.deepEqual(asc.slice(0, 4), order.slice(0, 4));
    assert.deepEqual(
      ids((await db.query('order', { database, sort: ['-v'] })).records),
      [...order].reverse(),
    );
    assert.deepEqual(ids((await db.query('order', { database })).records), order);
    assert.deepEqual(
      ids((await db.query('order', { database, sort: ['-id'] })).records),
      [...order].reverse(),
    );
    const ranged = await db.query('order', { database, sort: ['v'], where: { v: { $gte: 0 } } });
    assert.deepEqual(ids(ranged.records), ['t08-zero', 't09-two', 't10-ten', 't11-big']);
    const strings = await db.query('order', { database, sort: ['-v'], where: { v: { $gt: 'a' } } });
    assert.deepEqual(ids(strings.records), ['t19-emoji', 't18-fffd', 't17-e-acute', 't16-ab']);
    // Two fields: the second orders the ties of the first.
    const d2 = fresh();
    const people: [string, JsonObject][] = [
      ['p1', { team: 'b', age: 30 }],
      ['p2', { team: 'a', age: 30 }],
      ['p3', { team: 'b', age: 20 }],
      ['p4', { team: 'a', age: 40 }],
      ['p5', { team: 'b', age: 30 }],
    ];
    for (const [id, data] of people) await db.create('people', data, { database: d2, id });
    const by = async (sort: string[]) =>
      ids((await db.query('people', { database: d2, sort })).records);
    assert.deepEqual(await by(['team', '-age']), ['p4', 'p2', 'p5', 'p1', 'p3']);
    assert.deepEqual(await by(['-age', 'team']), ['p4', 'p2', 'p1', 'p5', 'p3']);
    assert.deepEqual(await by(['age']), ['p3', 'p1', 'p2', 'p5', 'p4']);
  });

  it('pages through hundreds of records with the cursor, neither repeating nor skipping one', async () => {
    const db = get();
    const database = fresh();
    const n = 300;
    const values = (i: number): unknown =>
      [i % 7, `s${i % 5}`, null, i % 11 === 0, { o: i }][i % 5] ?? null;
    for (let i = 0; i < n; i++) {
      const data: JsonObject = { k: values(i), g: i % 3, i };
      if (i % 13 === 0) delete data.k;
      await db.create('page', data, { database, id: `r${String(i).padStart(3, '0')}` });
    }
    for (const sort of [undefined, ['k'], ['-k'], ['g', '-k'], ['-g', 'k', '-i']]) {
      const whole = await all(db, 'page', { database, ...(sort && { sort }), limit: 1000 });
      assert.equal(whole.length, n);
      const paged = await all(db, 'page', { database, ...(sort && { sort }), limit: 17 });
      assert.deepEqual(ids(paged), ids(whole), `sort ${JSON.stringify(sort)}`);
      assert.equal(new Set(ids(paged)).size, n);
    }
    const where = { g: 1 };
    const some = await all(db, 'page', { database, where, sort: ['-k'], limit: 9 });
    assert.equal(some.length, await db.count('page', { database, where }));
    assert.ok(some.every((r) => r.data.g === 1));
    assert.equal(some.length, 100);
    // Records written meanwhile do not disturb the others' paging.
    const first = await db.query('page', { database, sort: ['g'], limit: 50 });
    await db.delete('page', first.records[0]!.id, { database });
    await db.create('page', { g: -1 }, { database, id: 'r-new' });
    const rest = await all(db, 'page', { database, sort: ['g'], limit: 50, cursor: first.next! });
    assert.deepEqual(
      [...ids(first.records), ...ids(rest)].filter((id) => id !== 'r-new').length,
      n,
    );
    assert.equal(new Set([...ids(first.records), ...ids(rest)]).size, n);
    await refused(db.query('page', { database, sort: ['-g'], cursor: first.next! }), 400, /cursor/);
    await refused(db.query('page', { database, cursor: 'not-a-cursor' }), 400, /cursor/);
  });
}

function runIndexCases(get: () => Db): void {
  it('declares indexes: idempotent, unique ones refuse a second record (409), listed, dropped', async () => {
    const db = get();
    const database = fresh();
    await db.create('ix', { email: 'a@x', n: 1, nested: { k: 'x' } }, { database, id: 'a' });
    await db.create('ix', { email: 'b@x', n: 1 }, { database, id: 'b' });
    const email = await db.createIndex('ix', { fields: ['email'], unique: true }, { database });
    assert.deepEqual(email, { name: 'email', fields: ['email'], unique: true });
    assert.deepEqual(
      await db.createIndex('ix', { fields: ['email'], unique: true }, { database }),
      email,
    );
    await refused(
      db.createIndex('ix', { name: 'email', fields: ['n'] }, { database }),
      409,
      /email/,
    );
    const pair = await db.createIndex('ix', { fields: ['n', 'nested.k'] }, { database });
    assert.deepEqual(pair, { name: 'n_nested-k', fields: ['n', 'nested.k'], unique: false });
    await refused(
      db.createIndex('ix', { name: 'n_u', fields: ['n'], unique: true }, { database }),
      409,
      /n_u/,
    );
    await refused(db.create('ix', { email: 'a@x' }, { database, id: 'c' }), 409, /email/);
    await refused(db.update('ix', 'b', { email: 'a@x' }, { database }), 409, /email/);
    await refused(db.update('ix', 'c', { email: 'a@x' }, { database, upsert: true }), 409, /email/);
    assert.equal(await db.read('ix', 'c', { database }), undefined);
    assert.equal((await db.read('ix', 'b', { database }))?.data.email, 'b@x');
    // Missing or null values are not counted; other types are other values; a record may keep its own.
    await db.create('ix', { n: 2 }, { database, id: 'm1' });
    await db.create('ix', { n: 3, email: null }, { database, id: 'm2' });
    await db.create('ix', { email: { o: 1 } }, { database, id: 'm3' });
    await db.create('ix', { email: { o: 1 } }, { database, id: 'm4' });
    await db.create('ix', { email: 7 }, { database, id: 'm5' });
    await db.create('ix', { email: '7' }, { database, id: 'm6' });
    await db.update(
      'ix',
      'a',
      { email: 'a@x', n: 1, nested: { k: 'x' }, more: 1 },
      { database, mode: 'replace' },
    );
    const info = (await db.collections(database)).find((c) => c.collection === 'ix');
    assert.deepEqual(info, { database, collection: 'ix', count: 8, indexes: [email, pair] });
    // Queries give the same answers through the index.
    const q = async (o: QueryOptions) => ids((await db.query('ix', { database, ...o })).records);
    assert.deepEqual(await q({ where: { email: 'a@x' } }), ['a']);
    assert.deepEqual(await q({ where: { email: { $gte: 'a', $lt: 'c' } } }), ['a', 'b']);
    assert.deepEqual(await q({ where: { email: null } }), ['m1', 'm2']);
    assert.deepEqual(await q({ where: { n: 1, 'nested.k': 'x' } }), ['a']);
    assert.deepEqual(await q({ sort: ['-email'], limit: 3 }), ['b', 'a', 'm6']);
    assert.equal(await db.dropIndex('ix', 'email', { database }), true);
    assert.equal(await db.dropIndex('ix', 'email', { database }), false);
    assert.equal(await db.dropIndex('nothing', 'email', { database }), false);
    await db.create('ix', { email: 'a@x' }, { database, id: 'c' });
    await refused(
      db.createIndex('ix', { fields: ['email'], unique: true }, { database }),
      409,
      /email/,
    );
    assert.deepEqual((await db.collections(database)).find((c) => c.collection === 'ix')?.indexes, [
      pair,
    ]);
    assert.deepEqual(await q({ where: { email: 'a@x' } }), ['a', 'c']);
    // An index declared before any record makes the collection.
    await db.createIndex('early', { fields: ['createdAt', 'k'], unique: true }, { database });
    assert.deepEqual(
      (await db.collections(database)).map((c) => [c.collection, c.count]),
      [
        ['early', 0],
        ['ix', 9],
      ],
    );
    for (let i = 0; i < DB_LIMITS.indexes; i++)
      await db.createIndex('full', { name: `i${i}`, fields: [`f${i}`] }, { database });
    await refused(
      db.createIndex('full', { name: 'one-more', fields: ['x'] }, { database }),
      400,
      /index/,
    );
  });
}

function runBadInputCases(get: () => Db): void {
  it('refuses bad input with a 400 naming the field, and stores nothing', async () => {
    const db = get();
    const database = fresh();
    await db.create('kept', { n: 1 }, { database, id: 'k' });
    const deep: JsonObject = {};
    let at = deep;
    for (let i = 0; i < DB_LIMITS.depth + 1; i++) at = at.x = {};
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      ['collection', () => db.create('no spaces', { a: 1 }, { database }), /collection/],
      ['collection long', () => db.create('c'.repeat(65), { a: 1 }, { database }), /collection/],
      ['database', () => db.create('c', { a: 1 }, { database: 'a.b' }), /database/],
      ['id empty', () => db.create('c', { a: 1 }, { database, id: '' }), /id/],
      ['id long', () => db.create('c', { a: 1 }, { database, id: 'é'.repeat(129) }), /id.*256/],
      ['id NUL', () => db.create('c', { a: 1 }, { database, id: 'a\0b' }), /id.*NUL/],
      ['id type', () => db.create('c', { a: 1 }, { database, id: 5 as unknown as string }), /id/],
      ['data array', () => db.create('c', [1] as unknown as JsonObject, { database }), /data/],
      ['data $', () => db.create('c', { $set: 1 }, { database }), /\$set/],
      ['data _', () => db.create('c', { _id: 1 }, { database }), /_id/],
      ['data NaN', () => db.create('c', { a: { b: NaN } }, { database }), /data\.a\.b/],
      ['data Date', () => db.create('c', { d: new Date() }, { database }), /data\.d/],
      ['data undefined', () => db.create('c', { u: undefined }, { database }), /data\.u/],
      ['data NUL', () => db.create('c', { s: 'a\0' }, { database }), /data\.s.*NUL/],
      ['data surrogate', () => db.create('c', { s: '\ud800' }, { database }), /data\.s/],
      ['data deep', () => db.create('c', deep, { database }), /deeper/],
      [
        'data big',
        () => db.create('c', { s: 'x'.repeat(DB_LIMITS.recordBytes) }, { database }),
        /data.*bytes/,
      ],
      ['option', () => db.create('c', { a: 1 }, { database, ttl: 5 } as never), /ttl/],
      [
        'mode',
        () => db.update('kept', 'k', { a: 1 }, { database, mode: 'patch' as never }),
        /mode/,
      ],
      [
        'ifVersion',
        () => db.update('kept', 'k', { a: 1 }, { database, ifVersion: 0 }),
        /ifVersion/,
      ],
      [
        'upsert',
        () => db.update('kept', 'k', { a: 1 }, { database, upsert: 'yes' as never }),
        /upsert/,
      ],
      ['merge $', () => db.update('kept', 'k', { $unset: 1 }, { database }), /\$unset/],
      [
        'merge big',
        () => db.update('kept', 'k', { s: 'x'.repeat(DB_LIMITS.recordBytes) }, { database }),
        /bytes/,
      ],
      ['delete', () => db.delete('kept', 'k', { database, ifVersion: -1 }), /ifVersion/],
      [
        'where op',
        () => db.query('kept', { database, where: { n: { $regex: '.' } as never } }),
        /\$regex/,
      ],
      ['where empty', () => db.query('kept', { database, where: { n: {} } }), /where.*"n"/],
      ['where array', () => db.query('kept', { database, where: { n: [1] as never } }), /\$in/],
      ['where path', () => db.query('kept', { database, where: { 'a..b': 1 } }), /a\.\.b/],
      [
        'where deep',
        () => db.query('kept', { database, where: { [Array(9).fill('a').join('.')]: 1 } }),
        /path/,
      ],
      ['where own', () => db.query('kept', { database, where: { 'id.x': 1 } }), /id/],
      [
        'where range',
        () => db.query('kept', { database, where: { n: { $gt: true } as never } }),
        /\$gt/,
      ],
      [
        'where null range',
        () => db.query('kept', { database, where: { n: { $lt: null } as never } }),
        /\$lt/,
      ],
      [
        'where prefix',
        () => db.query('kept', { database, where: { n: { $prefix: 1 } as never } }),
        /\$prefix/,
      ],
      ['where in', () => db.query('kept', { database, where: { n: { $in: [] } } }), /\$in/],
      [
        'where in many',
        () =>
          db.query('kept', { database, where: { n: { $in: Array(1001).fill(1) as number[] } } }),
        /\$in/,
      ],
      [
        'where in object',
        () => db.query('kept', { database, where: { n: { $in: [{}] } as never } }),
        /\$in/,
      ],
      [
        'where many',
        () =>
          db.query('kept', {
            database,
            where: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`f${i}`, i])),
          }),
        /32/,
      ],
      ['where NUL', () => db.query('kept', { database, where: { n: 'a\0' } }), /NUL/],
      ['sort many', () => db.query('kept', { database, sort: ['a', 'b', 'c', 'd', 'e'] }), /sort/],
      ['sort twice', () => db.query('kept', { database, sort: ['a', '-a'] }), /sort\[1\]/],
      ['sort path', () => db.query('kept', { database, sort: ['a b'] }), /sort\[0\]/],
      ['sort type', () => db.query('kept', { database, sort: 'a' as never }), /sort/],
      ['limit 0', () => db.query('kept', { database, limit: 0 }), /limit/],
      ['limit big', () => db.query('kept', { database, limit: 1001 }), /limit/],
      ['limit 1.5', () => db.query('kept', { database, limit: 1.5 }), /limit/],
      ['cursor', () => db.query('kept', { database, cursor: 5 as never }), /cursor/],
      ['count', () => db.count('kept', { database, where: { n: { $foo: 1 } as never } }), /\$foo/],
      ['count option', () => db.count('kept', { database, sort: ['n'] } as never), /sort/],
      ['index fields', () => db.createIndex('c', { fields: [] }, { database }), /index\.fields/],
      [
        'index many',
        () => db.createIndex('c', { fields: ['a', 'b', 'c', 'd', 'e'] }, { database }),
        /index\.fields/,
      ],
      [
        'index path',
        () => db.createIndex('c', { fields: ['a', '$.b'] }, { database }),
        /index\.fields\[1\]/,
      ],
      [
        'index twice',
        () => db.createIndex('c', { fields: ['a', 'a'] }, { database }),
        /index\.fields\[1\]/,
      ],
      [
        'index name',
        () => db.createIndex('c', { name: 'a b', fields: ['a'] }, { database }),
        /index\.name/,
      ],
      [
        'index unique',
        () => db.createIndex('c', { fields: ['a'], unique: 1 as never }, { database }),
        /index\.unique/,
      ],
      [
        'index option',
        () => db.createIndex('c', { fields: ['a'], sparse: true } as never, { database }),
        /sparse/,
      ],
      ['drop index name', () => db.dropIndex('kept', '', { database }), /name/],
      ['collections', () => db.collections('a b'), /database/],
      ['drop', () => db.dropCollection('a/b', { database }), /collection/],
    ];
    for (const [what, call, detail] of cases) {
      await assert.rejects(call(), (err: { id?: string; code?: number; detail?: string }) => {
        assert.equal(err.code, 400, `${what}: ${JSON.stringify(err)}`);
        assert.equal(err.id, 'db', what);
        assert.match(err.detail ?? '', detail, what);
        return true;
      });
    }
    assert.deepEqual(
      (await db.collections(database)).map((c) => [c.collection, c.count, c.indexes]),
      [['kept', 1, []]],
    );
    assert.deepEqual(await db.read('kept', 'k', { database }).then((r) => [r?.version, r?.data]), [
      1,
      { n: 1 },
    ]);
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMicroDb } from '../../src/platform/db/client.ts';
import type { Db } from '../../src/platform/db/db.ts';
import { errorOf, micro } from '../helpers/cli.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import type { RunningServer } from '../helpers/server-process.ts';

describe('micro db', () => {
  let cp: RunningServer;
  let db: Db;
  let flag: string[];
  before(async () => {
    cp = await startTestControlPlane();
    flag = ['--registry-address', cp.address];
    db = createMicroDb({ address: cp.address });
  });
  after(async () => {
    await db.close();
    await cp.stop();
  });

  it('creates, gets, updates, queries, counts and deletes records', async () => {
    const ann = await micro([
      'db',
      'create',
      'users',
      '{"name":"Ann","age":41}',
      '--id',
      'ann',
      ...flag,
    ]);
    assert.equal(ann.code, 0, ann.stderr);
    assert.equal(ann.stdout, 'created ann (version 1)\n');
    // An id that looks like a number stays as typed.
    await micro(['db', 'create', 'users', '{"name":"Bob","age":29}', '--id', '007', ...flag]);
    assert.equal((await db.read('users', '007'))?.data.name, 'Bob');
    const made = await micro(['db', 'create', 'users', '{"name":"Cy"}', '-o', 'json', ...flag]);
    const cy = JSON.parse(made.stdout) as { id: string };
    assert.deepEqual(await db.read('users', cy.id), JSON.parse(made.stdout));
    const got = await micro(['db', 'get', 'users', 'ann', ...flag]);
    assert.deepEqual(JSON.parse(got.stdout), { name: 'Ann', age: 41 });
    const up = await micro([
      'db',
      'update',
      'users',
      'ann',
      '{"age":42}',
      '--if-version',
      '1',
      ...flag,
    ]);
    assert.equal(up.stdout, 'updated ann (version 2)\n');
    await micro(['db', 'update', 'users', '007', '{"name":"James"}', '--replace', ...flag]);
    assert.deepEqual((await db.read('users', '007'))?.data, { name: 'James' });
    const q = await micro(['db', 'query', 'users', '{"age":{"$gte":30}}', ...flag]);
    assert.match(
      q.stdout,
      /^ID +VERSION +UPDATED +DATA\nann +2 +\d{4}-\S+Z +\{"name":"Ann","age":42\}\n$/,
    );
    const page = await micro([
      'db',
      'query',
      'users',
      '--sort=-name',
      '--limit',
      '2',
      '-o',
      'json',
      ...flag,
    ]);
    const first = JSON.parse(page.stdout) as { records: { id: string }[]; next: string };
    assert.deepEqual(
      first.records.map((r) => r.id),
      ['007', cy.id],
    );
    const rest = await micro([
      'db',
      'query',
      'users',
      '--sort=-name',
      '--cursor',
      first.next,
      ...flag,
    ]);
    assert.match(rest.stdout, /\nann +2 /);
    const count = await micro(['db', 'count', 'users', '{"name":{"$prefix":"A"}}', ...flag]);
    assert.equal(count.stdout, '1\n');
    const del = await micro(['db', 'delete', 'users', '007', ...flag]);
    assert.equal(del.stdout, 'deleted 007\n');
    assert.equal(await db.read('users', '007'), undefined);
    const none = await micro(['db', 'query', 'empty', '--database', 'other', ...flag]);
    assert.equal(none.stdout, 'no records in other/empty\n');
  });

  it('declares, lists and drops indexes and collections', async () => {
    const database = ['--database', 'shop'];
    await db.create('skus', { code: 'A-1' }, { database: 'shop' });
    const index = await micro(['db', 'index', 'skus', 'code', '--unique', ...database, ...flag]);
    assert.equal(index.stdout, 'index code (code) unique on skus\n');
    const dup = await micro(['db', 'create', 'skus', '{"code":"A-1"}', ...database, ...flag]);
    assert.equal(dup.code, 1);
    assert.equal(errorOf(dup).code, 409);
    assert.match(errorOf(dup).detail, /unique index code of collection skus/);
    const list = await micro(['db', 'indexes', 'skus', ...database, ...flag]);
    assert.equal(list.stdout, 'NAME  FIELDS  UNIQUE\ncode  code    yes\n');
    const all = await micro(['db', 'collections', '-o', 'json', ...database, ...flag]);
    assert.deepEqual(JSON.parse(all.stdout), await db.collections('shop'));
    const text = await micro(['db', 'collections', ...database, ...flag]);
    assert.equal(
      text.stdout,
      'DATABASE  COLLECTION  RECORDS  INDEXES\nshop      skus        1        code\n',
    );
    assert.equal(
      (await micro(['db', 'drop-index', 'skus', 'code', ...database, ...flag])).stdout,
      'dropped index code\n',
    );
    assert.equal(
      (await micro(['db', 'drop', 'skus', ...database, ...flag])).stdout,
      'dropped collection skus\n',
    );
    const gone = await micro(['db', 'drop', 'skus', ...database, ...flag]);
    assert.deepEqual([gone.code, errorOf(gone).code], [1, 404]);
  });

  it('fails with the error JSON and exit 1 on bad input, missing records and stale versions', async () => {
    const cases: [string[], number, RegExp][] = [
      [['db', 'get', 'users', 'nobody'], 404, /record "nobody" not found in micro\/users/],
      [['db', 'create', 'users', '[1]'], 400, /DATA must be a JSON object/],
      [['db', 'create', 'users', '{"a":'], 400, /malformed JSON in DATA/],
      [['db', 'create', 'bad name', '{}'], 400, /collection must be 1 to 64/],
      [['db', 'query', 'users', '{"a":{"$regex":"x"}}'], 400, /"\$regex" is not an operator/],
      [['db', 'query', 'users', '{"a\') OR 1=1 --":1}'], 400, /field path/],
      [['db', 'query', 'users', '--cursor', 'forged'], 400, /cursor/],
      [
        ['db', 'update', 'users', 'ann', '{}', '--if-version', '99'],
        409,
        /is at version \d+, not 99/,
      ],
      [['db', 'index', 'users', 'a', 'b', 'c', 'd', 'e'], 400, /index\.fields/],
      [
        ['db', '--db', 'nope', 'collections'],
        400,
        /unknown db "nope" \(--db or MICRO_DB\): use one of/,
      ],
      [['db'], 400, /db what\?/],
    ];
    await db.create('users', { name: 'Ann' }, { id: 'ann' }).catch(() => undefined);
    for (const [args, code, detail] of cases) {
      const r = await micro([...args, ...flag]);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
      assert.equal(errorOf(r).code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(errorOf(r).detail, detail, args.join(' '));
    }
    assert.equal(await db.count('users', { where: { a: 1 } }), 0);
  });

  it('reads DATA from standard input with -', async () => {
    const r = await micro(['db', 'create', 'notes', '-', '--id', 'n1', ...flag], {
      input: '{"text":"from stdin"}',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await db.read('notes', 'n1'))?.data, { text: 'from stdin' });
  });

  it('takes a repeated --sort as a list, and refuses other repeated options with a 400', async () => {
    await db.create('people', { name: 'Bo', age: 30 }, { id: 'bo' });
    await db.create('people', { name: 'Al', age: 30 }, { id: 'al' });
    const r = await micro(['db', 'query', 'people', '--sort', 'age', '--sort', 'name', ...flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\nal .*\nbo /);
    for (const args of [
      ['query', 'people', '--limit', '1', '--limit', '2'],
      ['query', 'people', '--cursor', 'a', '--cursor', 'b'],
      ['create', 'people', '{}', '--id', 'a', '--id', 'b'],
      ['get', 'people', 'al', '--database', 'a', '--database', 'b'],
      ['update', 'people', 'al', '{}', '--if-version', '1', '--if-version', '2'],
      ['index', 'people', 'age', '--name', 'a', '--name', 'b'],
    ]) {
      const bad = await micro(['db', ...args, ...flag]);
      assert.equal(errorOf(bad).code, 400, `${args.join(' ')}: ${bad.stderr}`);
      assert.match(errorOf(bad).detail, /given more than once/, args.join(' '));
    }
  });

  it('lists the collections of every database without --database, of one with it', async () => {
    await db.create('a1', {}, { database: 'alpha' });
    await db.create('b1', {}, { database: 'beta' });
    const all = await micro(['db', 'collections', ...flag]);
    assert.match(all.stdout, /^DATABASE +COLLECTION/);
    assert.match(all.stdout, /\nalpha +a1 +1 /);
    assert.match(all.stdout, /\nbeta +b1 +1 /);
    const one = await micro(['db', 'collections', '--database', 'beta', ...flag]);
    assert.equal(
      one.stdout,
      'DATABASE  COLLECTION  RECORDS  INDEXES\nbeta      b1          1        -\n',
    );
  });

  it('says how many index fields were given past the limit', async () => {
    const index = await micro(['db', 'index', 'notes', 'a', 'b', 'c', 'd', 'e', ...flag]);
    assert.equal(errorOf(index).code, 400);
    assert.match(errorOf(index).detail, /5 fields; at most 4/);
  });

  it('refuses empty DATA from standard input', async () => {
    const empty = await micro(['db', 'create', 'notes', '-', '--id', 'e1', ...flag], { input: '' });
    assert.equal(errorOf(empty).code, 400);
    assert.match(errorOf(empty).detail, /DATA was empty/);
    const up = await micro(['db', 'update', 'notes', 'n1', '-', ...flag], { input: ' \n' });
    assert.match(errorOf(up).detail, /DATA was empty/);
    assert.equal(await db.read('notes', 'e1'), undefined);
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startControlPlane } from '../../../src/controlplane/index.ts';
import { createMicroDb } from '../../../src/platform/db/client.ts';
import type { JsonObject, Where } from '../../../src/platform/db/db.ts';
import { databases } from '../../../src/platform/db/index.ts';
import { createMemoryDb } from '../../../src/platform/db/memory.ts';
import { createPostgresDb } from '../../../src/platform/db/postgres.ts';
import { tableOf } from '../../../src/platform/db/postgres-sql.ts';
import type { MicroError } from '../../../src/runtime/errors.ts';
import { all, fresh, runDbCases } from '../../conformance/db.case.ts';
import { quiet } from '../../helpers/fixtures.ts';
import { startedForTests } from '../../helpers/lifecycle.ts';
import { startPostgres } from '../../helpers/postgres-server.ts';

// A real PostgreSQL (Debian's postgresql) on 127.0.0.1, a free port, a throwaway cluster.
const server = startedForTests(startPostgres);

runDbCases('postgres', () => createPostgresDb({ url: server().url }));

describe('postgres db', () => {
  it("gives the memory db's answers to 300 random queries, paged, with and without indexes", async () => {
    let state = 7;
    const next = (n: number): number => (state = (state * 16807) % 2147483647) % n;
    const one = <T>(xs: readonly T[]): T => xs[next(xs.length)]!;
    const scalars = [
      null,
      false,
      true,
      -1,
      0,
      0.5,
      3,
      1e21,
      '',
      'a',
      'aa',
      'Z',
      'ä',
      '\u{1F600}',
      '\uFFFD',
    ];
    const anything = [...scalars, { v: 1 }, ['a'], []];
    const database = fresh();
    const memory = createMemoryDb({ database });
    const postgres = createPostgresDb({ url: server().url, database });
    try {
      for (let i = 0; i < 150; i++) {
        const data: JsonObject = { n: i % 4 };
        if (next(5) > 0) data.x = one(anything);
        if (next(3) > 0) data.y = next(2) ? { z: one(anything) } : one(anything);
        const id = `r${next(100)}-${i}`;
        for (const db of [memory, postgres]) await db.create('q', data, { id });
      }
      const value = () => one(scalars);
      const conditions = [
        () => value(),
        () => ({ $eq: value() }),
        () => ({ $ne: value() }),
        () => ({ [one(['$lt', '$lte', '$gt', '$gte'])]: one([-1, 0.5, 1e21, '', 'a', 'Z', 'ä']) }),
        () => ({ $prefix: one(['', 'a', 'ä', '\u{1F600}']) }),
        () => ({ $in: [value(), value(), 3].filter((v) => v !== null) }),
      ];
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 100; i++) {
          const fields = ['x', 'y.z', 'y', 'n', 'createdAt'].filter(() => next(3) === 0);
          const where = Object.fromEntries(fields.map((f) => [f, one(conditions)()])) as Where;
          const sort = ['x', 'y.z', 'y', 'n', 'id'].filter(() => next(3) === 0).slice(0, 4);
          const options = {
            where,
            sort: sort.map((f) => (next(2) ? f : `-${f}`)),
            limit: 1 + next(30),
          };
          const [m, p] = await Promise.all([
            all(memory, 'q', options),
            all(postgres, 'q', options),
          ]);
          assert.deepEqual(
            p.map((r) => r.id),
            m.map((r) => r.id),
            JSON.stringify(options),
          );
          assert.equal(await postgres.count('q', { where }), m.length, JSON.stringify(where));
        }
        if (round === 0) await postgres.createIndex('q', { fields: ['x', 'y.z'] });
        if (round === 1) await postgres.createIndex('q', { fields: ['y'], name: 'y' });
      }
    } finally {
      await postgres.close();
    }
  });

  it('answers a 503 naming the server, its password hidden, when nothing listens', async () => {
    const db = createPostgresDb({ url: 'postgres://ann:s3cret@127.0.0.1:1/app', timeout: 2000 });
    try {
      await assert.rejects(db.read('users', 'a'), (err: MicroError) => {
        assert.deepEqual([err.id, err.code], ['db', 503]);
        assert.match(
          err.detail,
          /cannot reach PostgreSQL at postgres:\/\/ann:\*\*\*@127\.0\.0\.1:1\/app \(ECONNREFUSED\); start PostgreSQL/,
        );
        assert.doesNotMatch(err.detail, /s3cret/);
        return true;
      });
      assert.doesNotMatch(db.address, /s3cret/);
    } finally {
      await db.close();
    }
  });

  it('keeps versions exact and tables whole under concurrent writers in two processes', async () => {
    const [a, b] = [
      createPostgresDb({ url: server().url }),
      createPostgresDb({ url: server().url }),
    ];
    const database = fresh();
    try {
      // Both make the same new collection at once: one table, no error.
      const made = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? a : b).create('jobs', { i }, { database, id: `j${i}` }),
        ),
      );
      assert.equal(made.length, 10);
      const versions = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).update('jobs', 'j0', { [`f${i}`]: i }, { database }),
        ),
      );
      assert.deepEqual(
        versions.map((r) => r.version).sort((x, y) => x - y),
        Array.from({ length: 20 }, (_, i) => i + 2),
      );
      const last = await a.read('jobs', 'j0', { database });
      assert.equal(Object.keys(last!.data).length, 21);
      assert.equal(await b.count('jobs', { database }), 10);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('bounds a statement in time: a write stuck behind a lock is a 503, not a hang', async () => {
    const { default: pg } = await import('pg');
    const database = fresh();
    const db = createPostgresDb({ url: server().url, timeout: 500 });
    const holder = new pg.Client({ connectionString: server().url });
    await holder.connect();
    try {
      await db.create('jobs', { n: 1 }, { database, id: 'j' });
      // Another client holds the record's row lock in an open transaction.
      await holder.query('BEGIN');
      await holder.query(`SELECT * FROM ${tableOf(database, 'jobs')} WHERE id = 'j' FOR UPDATE`);
      await assert.rejects(db.update('jobs', 'j', { n: 2 }, { database }), (err: MicroError) => {
        assert.deepEqual([err.id, err.code], ['db', 503]);
        assert.match(err.detail, /did not finish the statement in time \(statement_timeout\)/);
        return true;
      });
      await holder.query('ROLLBACK');
      assert.equal((await db.update('jobs', 'j', { n: 3 }, { database })).version, 2);
    } finally {
      await holder.end();
      await db.close();
    }
  });

  it('is in the databases table, loading pg on first use, at a host:port address', async () => {
    // Without a URL, the user and database are PostgreSQL's usual PGUSER and PGDATABASE.
    const saved = { user: process.env.PGUSER, database: process.env.PGDATABASE };
    Object.assign(process.env, { PGUSER: 'postgres', PGDATABASE: 'postgres' });
    const db = databases.postgres!({ address: server().address });
    assert.deepEqual([db.name, db.address], ['postgres', server().address]);
    try {
      const r = await db.create('t', { x: 1 }, { database: fresh() });
      assert.equal(r.version, 1);
    } finally {
      await db.close();
      for (const [k, v] of [
        ['PGUSER', saved.user],
        ['PGDATABASE', saved.database],
      ] as const)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });

  it('is what the control plane serves when its environment says MICRO_DB=postgres', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'micro-db-pg-'));
    const cp = await startControlPlane({
      address: '127.0.0.1:0',
      dataDir,
      logger: quiet,
      env: { MICRO_DB: 'postgres', MICRO_DB_ADDRESS: server().url },
    });
    const viaControlPlane = createMicroDb({ address: cp.address });
    const direct = createPostgresDb({ url: server().url });
    try {
      const database = fresh();
      await viaControlPlane.createIndex('users', { fields: ['email'], unique: true }, { database });
      const ann = await viaControlPlane.create('users', { email: 'a@x' }, { database, id: 'ann' });
      assert.deepEqual(await direct.read('users', 'ann', { database }), ann);
      await assert.rejects(
        direct.create('users', { email: 'a@x' }, { database }),
        (err: MicroError) => {
          assert.equal(err.code, 409);
          assert.match(err.detail, /unique index email of collection users/);
          return true;
        },
      );
    } finally {
      await viaControlPlane.close();
      await direct.close();
      await cp.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

// micro db against a real PostgreSQL (Debian's postgresql): the --db and --db-address flags (and
// MICRO_DB, MICRO_DB_ADDRESS), and micro run handing them to the control plane it starts.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPostgresDb } from '../../src/platform/db/postgres.ts';
import { bin, micro } from '../helpers/cli.ts';
import { freePort } from '../helpers/net.ts';
import { startNode } from '../helpers/proc.ts';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server.ts';

describe('micro db --db postgres', () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres();
  });
  after(() => server.stop());

  it('works on the engine --db and --db-address (or MICRO_DB and MICRO_DB_ADDRESS) name', async () => {
    const made = await micro([
      'db',
      'create',
      'users',
      '{"name":"Ann"}',
      '--id',
      'ann',
      '--db',
      'postgres',
      '--db-address',
      server.url,
    ]);
    assert.equal(made.code, 0, made.stderr);
    const direct = createPostgresDb({ url: server.url });
    try {
      assert.deepEqual((await direct.read('users', 'ann'))?.data, { name: 'Ann' });
      const env = { MICRO_DB: 'postgres', MICRO_DB_ADDRESS: server.url };
      const got = await micro(['db', 'get', 'users', 'ann'], { env });
      assert.deepEqual(JSON.parse(got.stdout), { name: 'Ann' });
    } finally {
      await direct.close();
    }
  });

  it('makes micro run serve PostgreSQL as the db service with --db postgres', async () => {
    const work = await mkdtemp(join(tmpdir(), 'micro-db-run-'));
    const registry = `127.0.0.1:${await freePort()}`;
    const env = {
      MICRO_REGISTRY_ADDRESS: registry,
      MICRO_DATA_DIR: join(work, 'data'),
      MICRO_API_ADDRESS: `127.0.0.1:${await freePort()}`,
      MICRO_WEB_ADDRESS: `127.0.0.1:${await freePort()}`,
    };
    const run = startNode(bin, ['run', '--db', 'postgres', '--db-address', server.url], env, {
      cwd: work,
    });
    const direct = createPostgresDb({ url: server.url });
    try {
      await run.waitFor(/registry\s+127/, 20_000);
      // Through the control plane (no --db here): what it stores lands in PostgreSQL.
      const made = await micro(['db', 'create', 'orders', '{"total":3}', '--id', 'o1'], {
        env: { MICRO_REGISTRY_ADDRESS: registry },
      });
      assert.equal(made.code, 0, made.stderr);
      assert.deepEqual((await direct.read('orders', 'o1'))?.data, { total: 3 });
    } finally {
      await direct.close();
      await run.stop();
      await rm(work, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { databases, dbFromEnv } from '../../../src/platform/db/index.ts';

describe('databases table', () => {
  it('makes the db MICRO_DB names, with the service database as the default', async () => {
    const db = dbFromEnv({ MICRO_DB: 'memory' }, { database: 'svc' });
    assert.equal(db.name, 'memory');
    await db.create('c', { a: 1 }, { id: 'x' });
    assert.deepEqual(
      (await db.collections()).map((c) => [c.database, c.collection]),
      [['svc', 'c']],
    );
    assert.throws(() => dbFromEnv({ MICRO_DB: 'oracle' }), /unknown db "oracle".*memory/);
    assert.ok(Object.hasOwn(databases, 'memory'));
  });
});

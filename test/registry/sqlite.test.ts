import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createSqliteRegistry } from '../../src/registry/sqlite.ts';
import { runRegistryCases } from '../conformance/registry.case.ts';
import { record } from '../helpers/fixtures.ts';
import { scratchDir } from '../helpers/lifecycle.ts';

const dir = scratchDir('micro-sqlite-');
let n = 0;

runRegistryCases(
  'sqlite',
  (o) => createSqliteRegistry({ path: join(dir, `r${n++}.db`), sweepInterval: 50, ...o }),
  { settle: 500 },
);

describe('sqlite registry persistence', () => {
  it('keeps registrations and their remaining lease across a reopen', async () => {
    const path = join(dir, 'persist.db');
    const a = createSqliteRegistry({ path });
    const keep = { version: '1', metadata: { a: 'b' }, endpoints: [{ name: 'X.Y', metadata: {} }] };
    const svc = record('keep', { ...keep, node: 'n1', address: '127.0.0.1:1' });
    await a.register(svc, { ttl: 60_000 });
    await a.register(record('short', { ...keep, node: 's1', address: '127.0.0.1:2' }), { ttl: 1 });
    await a.close();
    await new Promise((r) => setTimeout(r, 5)); // let the 1 ms lease run out while closed
    const b = createSqliteRegistry({ path, sweepInterval: 20 });
    const [found] = await b.getService('keep');
    assert.deepEqual(found, svc);
    await assert.rejects(b.getService('short'), 'an expired lease is not revived by a restart');
    await b.close();
  });
});

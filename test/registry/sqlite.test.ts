import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createSqliteRegistry } from '../../src/registry/sqlite.ts';
import { runRegistryCases } from '../conformance/registry.case.ts';

const dir = mkdtempSync(join(tmpdir(), 'micro-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
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
    const svc = {
      name: 'keep',
      version: '1',
      metadata: { a: 'b' },
      endpoints: [{ name: 'X.Y', metadata: {} }],
      nodes: [{ id: 'n1', address: '127.0.0.1:1', metadata: {} }],
    };
    await a.register(svc, { ttl: 60_000 });
    await a.register(
      { ...svc, name: 'short', nodes: [{ id: 's1', address: '127.0.0.1:2', metadata: {} }] },
      { ttl: 1 },
    );
    await a.close();
    await new Promise((r) => setTimeout(r, 5)); // let the 1 ms lease run out while closed
    const b = createSqliteRegistry({ path, sweepInterval: 20 });
    const [found] = await b.getService('keep');
    assert.deepEqual(found, svc);
    await assert.rejects(b.getService('short'), 'an expired lease is not revived by a restart');
    await b.close();
  });
});

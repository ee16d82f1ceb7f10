import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '../../../src/controlplane/index.ts';
import { createMicroDb } from '../../../src/platform/db/client.ts';
import { createService } from '../../../src/platform/service.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { runDbCases } from '../../conformance/db.case.ts';
import { closedAddress } from '../../helpers/cli.ts';
import { quiet } from '../../helpers/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'micro-db-cp-'));
let cp: ControlPlane;
before(async () => {
  cp = await startControlPlane({ address: '127.0.0.1:0', dataDir: dir, logger: quiet });
});
after(async () => {
  await cp.stop();
  rmSync(dir, { recursive: true, force: true });
});

runDbCases('micro (the control plane, SQLite)', () => createMicroDb({ address: cp.address }));

/** POSTs a raw request to the db service's node, as any HTTP client could. */
async function post(endpoint: string, body: string, from?: string) {
  const registry = createMicroRegistry({ address: cp.address });
  const [service] = await registry.getService('db');
  await registry.close();
  const res = await fetch(`http://${service!.nodes[0]!.address}/`, {
    method: 'POST',
    headers: {
      'micro-service': 'db',
      'micro-endpoint': `Db.${endpoint}`,
      'content-type': 'application/json',
      ...(from && { 'micro-from-service': from }),
    },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('db service', () => {
  it('refuses unknown and missing fields and non-objects with a 400 naming them', async () => {
    const unknown = await post('Create', '{"collection":"a","data":{},"idd":"x"}');
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.id, 'db');
    assert.match(
      unknown.body.detail as string,
      /idd is not a field of a Db\.Create request; it takes collection, data, id and database/,
    );
    const missing = await post('Update', '{"collection":"a","id":"x"}');
    assert.match(missing.body.detail as string, /a Db\.Update request needs data/);
    const array = await post('Query', '[1]');
    assert.match(array.body.detail as string, /must be a JSON object/);
    const extra = await post('Collections', '{"all":true}');
    assert.match(extra.body.detail as string, /all is not a field of a Db\.Collections request/);
  });

  it('checks what other languages send as the Db does, storing nothing it refuses', async () => {
    const cases: [string, object, RegExp][] = [
      ['Create', { collection: 'c', data: [1] }, /data must be a JSON object/],
      ['Create', { collection: 'c;drop', data: {} }, /collection must be 1 to 64/],
      ['Create', { collection: 'c', data: { $x: 1 } }, /must not start with \$ or _/],
      ['Create', { collection: 'c', data: {}, id: 5 }, /id must be a string, not 5/],
      ['Update', { collection: 'c', id: 'a', data: {}, mode: 'patch' }, /mode must be/],
      ['Update', { collection: 'c', id: 'a', data: {}, ifVersion: '1' }, /ifVersion must be/],
      ['Query', { collection: 'c', limit: 5000 }, /limit must be a whole number from 1 to 1000/],
      ['Query', { collection: 'c', where: { "a'--": 1 } }, /field path/],
      ['Query', { collection: 'c', sort: 'name' }, /sort must be an array/],
      ['Query', { collection: 'c', cursor: 'nope' }, /cursor/],
      ['Count', { collection: 'c', where: { a: { $regex: 'x' } } }, /"\$regex" is not an operator/],
      ['CreateIndex', { collection: 'c', index: { fields: [] } }, /index\.fields must be/],
      ['DropIndex', { collection: 'c', name: '../x' }, /name must be 1 to 64/],
      ['Collections', { database: 'a b' }, /database must be 1 to 64/],
    ];
    for (const [endpoint, body, detail] of cases) {
      const r = await post(endpoint, JSON.stringify({ database: 'raw', ...body }));
      assert.equal(r.status, 400, `${endpoint} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.id, 'db');
      assert.match(r.body.detail as string, detail);
    }
    const listed = await post('Collections', '{"database":"raw"}');
    assert.deepEqual(listed.body, { collections: [] });
  });

  it("keeps a caller's records in the database named after it unless it names one", async () => {
    const made = await post('Create', '{"collection":"notes","data":{"a":1},"id":"n1"}', 'billing');
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const dotted = await post('Create', '{"collection":"notes","data":{},"id":"n2"}', 'go.micro.x');
    assert.equal(dotted.status, 200, JSON.stringify(dotted.body));
    const db = createMicroDb({ address: cp.address });
    try {
      assert.deepEqual((await db.read('notes', 'n1', { database: 'billing' }))?.data, { a: 1 });
      assert.equal(await db.read('notes', 'n1'), undefined);
      assert.ok(await db.read('notes', 'n2', { database: 'go_micro_x' }));
      const bare = await post('Read', '{"collection":"notes","id":"n1"}');
      assert.deepEqual(bare.body, {});
    } finally {
      await db.close();
    }
  });

  it('gives a service a db of its own through the control plane (service.db)', async () => {
    const registry = createMicroRegistry({ address: cp.address });
    const service = createService({
      name: 'inventory',
      registry,
      handleSignals: false,
      logger: quiet,
    });
    const reader = createMicroDb({ address: cp.address });
    try {
      const made = await service.db.create('skus', { count: 3 }, { id: 'sku-1' });
      assert.deepEqual(await reader.read('skus', 'sku-1', { database: 'inventory' }), made);
      const [listed] = await reader.collections('inventory');
      assert.deepEqual(listed, {
        database: 'inventory',
        collection: 'skus',
        count: 1,
        indexes: [],
      });
    } finally {
      await service.stop();
      await reader.close();
      await registry.close();
    }
  });

  it('says where it looked and what to do when no control plane answers', async () => {
    const address = await closedAddress();
    const db = createMicroDb({ address, timeout: 2000 });
    try {
      await assert.rejects(
        db.read('c', 'a'),
        (err: { id: string; code: number; detail: string }) => {
          assert.equal(err.id, 'db');
          assert.equal(err.code, 503);
          assert.match(err.detail, new RegExp(`db service at ${address}.*micro run`));
          return true;
        },
      );
    } finally {
      await db.close();
    }
  });

  it('keeps records across a restart of the control plane (SQLite in micro.db)', async () => {
    const other = mkdtempSync(join(tmpdir(), 'micro-db-restart-'));
    const address = await closedAddress();
    let plane = await startControlPlane({ address, dataDir: other, logger: quiet });
    const db = createMicroDb({ address, timeout: 5000 });
    try {
      await db.createIndex('users', { fields: ['email'], unique: true });
      const ann = await db.create('users', { email: 'ann@example.com' }, { id: 'ann' });
      await plane.stop();
      plane = await startControlPlane({ address, dataDir: other, logger: quiet });
      assert.deepEqual(await db.read('users', 'ann'), ann);
      await assert.rejects(db.create('users', { email: 'ann@example.com' }), { code: 409 });
    } finally {
      await db.close();
      await plane.stop();
      rmSync(other, { recursive: true, force: true });
    }
  });
});

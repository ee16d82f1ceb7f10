import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '../../../src/controlplane/index.ts';
import { createService } from '../../../src/platform/service.ts';
import { createMicroStore } from '../../../src/platform/store/client.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { runStoreCases } from '../../conformance/store.case.ts';
import { closedAddress } from '../../helpers/cli.ts';
import { quiet } from '../../helpers/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'micro-store-cp-'));
let cp: ControlPlane;
before(async () => {
  cp = await startControlPlane({ address: '127.0.0.1:0', dataDir: dir, logger: quiet });
});
after(async () => {
  await cp.stop();
  rmSync(dir, { recursive: true, force: true });
});

runStoreCases('micro (the control plane, SQLite)', () => createMicroStore({ address: cp.address }));

/** POSTs a raw request to the store service's node, as any HTTP client could. */
async function post(endpoint: string, body: string, from?: string) {
  const registry = createMicroRegistry({ address: cp.address });
  const [service] = await registry.getService('store');
  await registry.close();
  const res = await fetch(`http://${service!.nodes[0]!.address}/`, {
    method: 'POST',
    headers: {
      'micro-service': 'store',
      'micro-endpoint': `Store.${endpoint}`,
      'content-type': 'application/json',
      ...(from && { 'micro-from-service': from }),
    },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('store service', () => {
  it('refuses unknown and missing fields and non-objects with a 400 naming them', async () => {
    const unknown = await post('Put', '{"key":"a","value":1,"tll":5}');
    assert.equal(unknown.status, 400);
    assert.match(
      unknown.body.detail as string,
      /tll is not a field of a Store\.Put request; it takes key, value, ttl/,
    );
    const missing = await post('Put', '{"key":"a"}');
    assert.match(missing.body.detail as string, /a Store\.Put request needs value/);
    const array = await post('Get', '[1]');
    assert.match(array.body.detail as string, /must be a JSON object/);
    const nul = await post('Put', '{"key":"a\\u0000b","value":1}');
    assert.deepEqual([nul.status, nul.body.id], [400, 'store']);
    assert.match(nul.body.detail as string, /key must not contain NUL/);
    const extra = await post('Namespaces', '{"all":true}');
    assert.match(
      extra.body.detail as string,
      /all is not a field of a Store\.Namespaces request; it takes none/,
    );
  });

  it('checks what other languages send as the Store does, storing nothing it refuses', async () => {
    const big = JSON.stringify({ key: 'big', value: 'x'.repeat(1024 * 1024), database: 'raw' });
    const cases: [string, string, RegExp][] = [
      ['Put', big, /value is 1048578 bytes as JSON; the limit is 1048576/],
      [
        'Put',
        JSON.stringify({ key: 'k'.repeat(10_240), value: 1, database: 'raw' }),
        /key is 10240 bytes/,
      ],
      ['Put', '{"key":"k","value":1,"ttl":"30s","database":"raw"}', /ttl must be a whole number/],
      [
        'Put',
        '{"key":"k","value":1,"ifAbsent":1,"database":"raw"}',
        /ifAbsent must be true or false/,
      ],
      ['Put', '{"key":5,"value":1,"database":"raw"}', /key must be a string, not 5/],
      ['Put', '{"key":"k","value":1,"database":"../raw"}', /database must be 1 to 128/],
      ['Delete', '{"key":"","database":"raw"}', /key must not be empty/],
      ['List', '{"limit":5000,"database":"raw"}', /limit must be a whole number from 1 to 1000/],
      ['GetMany', '{"keys":"k","database":"raw"}', /keys must be an array/],
      [
        'Transact',
        '{"operations":[{"op":"put","key":"a","value":1},{"op":"put","key":"b"}],"database":"raw"}',
        /operations\[1\]\.value is undefined/,
      ],
      [
        'Transact',
        '{"operations":[{"op":"put","key":"a","value":1,"extra":2}],"database":"raw"}',
        /extra is not a field of operations\[0\]/,
      ],
    ];
    for (const [endpoint, body, detail] of cases) {
      const r = await post(endpoint, body);
      assert.equal(r.status, 400, `${endpoint} ${body.slice(0, 80)}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.id, 'store');
      assert.match(r.body.detail as string, detail);
    }
    const listed = await post('List', '{"database":"raw"}');
    assert.deepEqual(listed.body, { entries: [] });
  });

  it("keeps a caller's keys in the database named after it unless it names one", async () => {
    const put = await post('Put', '{"key":"mine","value":"billing\'s"}', 'billing');
    assert.equal(put.status, 200);
    const store = createMicroStore({ address: cp.address });
    try {
      assert.equal((await store.get('mine', { database: 'billing' }))?.value, "billing's");
      assert.equal(await store.get('mine'), undefined);
      const bare = await post('Get', '{"key":"mine"}');
      assert.deepEqual(bare.body, {});
      const odd = await post('Get', '{"key":"mine"}', 'no spaces please');
      assert.equal(odd.status, 400);
      assert.match(odd.body.detail as string, /name a database/);
    } finally {
      await store.close();
    }
  });

  it('gives a service a store of its own through the control plane (service.store)', async () => {
    const registry = createMicroRegistry({ address: cp.address });
    const service = createService({
      name: 'inventory',
      registry,
      handleSignals: false,
      logger: quiet,
    });
    const reader = createMicroStore({ address: cp.address });
    try {
      const entry = await service.store.put('sku/1', { count: 3 });
      assert.deepEqual(await reader.get('sku/1', { database: 'inventory' }), entry);
    } finally {
      await service.stop();
      await reader.close();
      await registry.close();
    }
  });

  it('says where it looked and what to do when no control plane answers', async () => {
    const address = await closedAddress();
    const store = createMicroStore({ address, timeout: 2000 });
    try {
      await assert.rejects(store.get('a'), (err: { id: string; code: number; detail: string }) => {
        assert.equal(err.id, 'store');
        assert.equal(err.code, 503);
        assert.match(err.detail, new RegExp(`store service at ${address}.*micro run`));
        return true;
      });
    } finally {
      await store.close();
    }
  });

  it('serves the engine MICRO_STORE names in its environment, and refuses an unknown one', async () => {
    const other = mkdtempSync(join(tmpdir(), 'micro-store-env-'));
    try {
      const mem = await startControlPlane({
        address: '127.0.0.1:0',
        dataDir: other,
        logger: quiet,
        env: { MICRO_STORE: 'memory' },
      });
      const store = createMicroStore({ address: mem.address });
      await store.put('a', 1);
      assert.equal((await store.get('a'))?.value, 1);
      await store.close();
      await mem.stop();
      await assert.rejects(
        startControlPlane({
          address: '127.0.0.1:0',
          dataDir: other,
          logger: quiet,
          env: { MICRO_STORE: 'nope' },
        }),
        /unknown store "nope" \(MICRO_STORE in the control plane's environment\): use one of micro, memory/,
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('carries a watch over a restart of the control plane', async () => {
    const other = mkdtempSync(join(tmpdir(), 'micro-store-restart-'));
    const address = await closedAddress();
    let plane = await startControlPlane({ address, dataDir: other, logger: quiet });
    const store = createMicroStore({ address, timeout: 2000 });
    try {
      const watcher = store.watch({ prefix: 'r/' });
      const it = watcher[Symbol.asyncIterator]();
      const nextKey = async (): Promise<string | undefined> => {
        const r = await it.next();
        return r.done ? undefined : r.value.key;
      };
      await store.put('r/1', 'before');
      assert.equal(await nextKey(), 'r/1');
      await plane.stop();
      plane = await startControlPlane({ address, dataDir: other, logger: quiet });
      // The watch comes back by itself, at its own pace: write until it reports a write.
      const next = nextKey();
      let seen: string | undefined;
      void next.then((key) => (seen = key));
      for (let i = 2; seen === undefined && i < 200; i++) {
        await store.put(`r/${i}`, 'after');
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match((await next) ?? '', /^r\/\d+$/);
      assert.equal((await store.get('r/1'))?.value, 'before');
      watcher.stop();
    } finally {
      await store.close();
      await plane.stop();
      rmSync(other, { recursive: true, force: true });
    }
  });
});

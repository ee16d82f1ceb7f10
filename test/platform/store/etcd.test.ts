import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MicroError } from '../../../src/runtime/errors.ts';
import { createEtcdStore } from '../../../src/platform/store/etcd.ts';
import { runStoreCases } from '../../conformance/store.case.ts';
import { startEtcd } from '../../helpers/etcd-server.ts';
import { serverForTests } from '../../helpers/lifecycle.ts';

// A real etcd (Debian's etcd-server) on 127.0.0.1, free ports and a throwaway data directory.
const address = serverForTests(startEtcd);

runStoreCases('etcd', () => createEtcdStore({ address: address() }));

describe('etcd store', () => {
  it('answers a 503 naming etcd, its address and how to start it when nothing listens', async () => {
    const store = createEtcdStore({ address: '127.0.0.1:1', timeout: 1000 });
    try {
      await assert.rejects(store.get('k'), (err: MicroError) => {
        assert.equal(err.code, 503);
        assert.match(
          err.detail,
          /cannot reach etcd at 127\.0\.0\.1:1 .*start etcd \(etcd --listen-client-urls http:\/\/127\.0\.0\.1:1 /,
        );
        return true;
      });
    } finally {
      await store.close();
    }
  });

  it("refuses a transaction past etcd's --max-txn-ops with a 400 saying so, storing nothing", async () => {
    const store = createEtcdStore({ address: address() });
    try {
      const ops = Array.from({ length: 129 }, (_, i) => ({
        op: 'put' as const,
        key: `k${i}`,
        value: i,
      }));
      await assert.rejects(store.transact(ops, { database: 'txn-limit' }), (err: MicroError) => {
        assert.equal(err.code, 400);
        assert.match(err.detail, /at most 128 in one transaction \(its --max-txn-ops\)/);
        return true;
      });
      assert.deepEqual((await store.list({ database: 'txn-limit' })).entries, []);
      assert.equal(
        (await store.transact(ops.slice(0, 128), { database: 'txn-limit' })).length,
        128,
      );
    } finally {
      await store.close();
    }
  });
});

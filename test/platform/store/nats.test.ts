import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNatsStore } from '../../../src/platform/store/nats.ts';
import type { MicroError } from '../../../src/runtime/errors.ts';
import { runStoreCases } from '../../conformance/store.case.ts';
import { serverForTests } from '../../helpers/lifecycle.ts';
import { startNatsServer } from '../../helpers/nats-server.ts';

// A real nats-server (Debian's) with JetStream on 127.0.0.1; max_payload raised to 2 MiB so that a
// value of the store's 1 MiB limit fits with its wrapping (the default is 1 MiB).
const address = serverForTests(() => startNatsServer({ jetstream: true, maxPayload: 2 << 20 }));

// NATS KV has no multi-key transaction: declared, and the suite checks the 501 instead.
runStoreCases('nats', () => createNatsStore({ address: address() }), { transactions: 'one' });

describe('nats store', () => {
  it('answers a 503 naming NATS, its address and how to start it when nothing listens', async () => {
    const store = createNatsStore({ address: '127.0.0.1:1', timeout: 1000 });
    try {
      await assert.rejects(store.get('k'), (err: MicroError) => {
        assert.equal(err.code, 503);
        assert.match(
          err.detail,
          /cannot reach NATS at 127\.0\.0\.1:1 .*start nats-server with JetStream \(nats-server -js -a 127\.0\.0\.1 -p 1\)/,
        );
        return true;
      });
    } finally {
      await store.close();
    }
  });

  it("keeps keys NATS subjects cannot hold ('.', wildcards, spaces, '=') apart and lists them back", async () => {
    const store = createNatsStore({ address: address() });
    const database = 'nats-keys';
    const keys = ['a.b', 'a..b', '.', '*', '>', 'a b', '=41', 'A', '$KV', 'x/../y', 'é=é'];
    try {
      for (const k of keys) await store.put(k, k, { database });
      for (const k of keys) assert.equal((await store.get(k, { database }))?.value, k);
      const listed = (await store.list({ database })).entries.map((e) => e.key);
      assert.deepEqual(
        listed,
        [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
      );
      // A delete of '*' is of that key alone, not a wildcard over the table.
      assert.equal(await store.delete('*', { database }), true);
      assert.equal((await store.list({ database })).entries.length, keys.length - 1);
    } finally {
      await store.close();
    }
  });
});

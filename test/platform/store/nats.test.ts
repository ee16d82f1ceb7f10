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
});

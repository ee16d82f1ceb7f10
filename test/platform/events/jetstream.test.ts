import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createJetStreamEvents } from '../../../src/platform/events/jetstream.ts';
import type { MicroError } from '../../../src/runtime/errors.ts';
import { runEventsCases } from '../../conformance/events.case.ts';
import { serverForTests } from '../../helpers/lifecycle.ts';
import { startNatsServer } from '../../helpers/nats-server.ts';

// A real nats-server (Debian's) with JetStream on 127.0.0.1; max_payload raised to 2 MiB so that
// data of the events' 1 MiB limit fits with its envelope (the default is 1 MiB).
const address = serverForTests(() => startNatsServer({ jetstream: true, maxPayload: 2 << 20 }));

// JetStream does not tell a pull consumer's members apart: declared (members is 0).
runEventsCases('jetstream', () => createJetStreamEvents({ address: address() }), {
  members: false,
  reopen: async (events) => {
    await events.close();
    return createJetStreamEvents({ address: address() });
  },
});

describe('jetstream events', () => {
  it('answers a 503 naming NATS, its address and how to start it when nothing listens', async () => {
    const events = createJetStreamEvents({ address: '127.0.0.1:1', timeout: 1000 });
    try {
      await assert.rejects(events.publish('t', 1), (err: MicroError) => {
        assert.equal(err.code, 503);
        assert.equal(err.id, 'events');
        assert.match(
          err.detail,
          /cannot reach NATS at 127\.0\.0\.1:1 .*start nats-server with JetStream \(nats-server -js -a 127\.0\.0\.1 -p 1\)/,
        );
        return true;
      });
    } finally {
      await events.close();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createJetStreamBroker } from '../../../src/runtime/broker/nats-jetstream.ts';
import { runBrokerCases } from '../../conformance/broker.case.ts';
import { serverForTests } from '../../helpers/lifecycle.ts';
import { startNatsServer } from '../../helpers/nats-server.ts';

// A real nats-server with JetStream on 127.0.0.1; the test fails when it cannot start.
const address = serverForTests(() => startNatsServer({ jetstream: true }));

// Three brokers, each on its own connection.
runBrokerCases('nats-jetstream', () => {
  const make = () => createJetStreamBroker({ address: address() });
  return [make(), make(), make()];
});

describe('nats jetstream broker', () => {
  it('redelivers a message that was not acknowledged, and keeps a queue group durable', async () => {
    const pub = createJetStreamBroker({ address: address(), ackWait: 500 });
    const sub = createJetStreamBroker({ address: address(), redeliverAfter: 300 });
    await pub.connect();
    await sub.connect();
    const seen: string[] = [];
    const s = await sub.subscribe(
      'jobs',
      async (e) => {
        seen.push(Buffer.from(e.message.body).toString());
        if (seen.length >= 2) await e.ack(); // the first delivery goes unacknowledged
      },
      { queue: 'workers', autoAck: false },
    );
    await pub.publish('jobs', { header: {}, body: Buffer.from('j1') });
    for (let i = 0; i < 50 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(seen, ['j1', 'j1']);
    await s.unsubscribe();
    // While the group is away, messages wait in its durable consumer.
    await pub.publish('jobs', { header: {}, body: Buffer.from('j2') });
    const later: string[] = [];
    const s2 = await sub.subscribe(
      'jobs',
      (e) => void later.push(Buffer.from(e.message.body).toString()),
      { queue: 'workers' },
    );
    for (let i = 0; i < 50 && later.length < 1; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(later, ['j2']);
    await s2.unsubscribe();
    await pub.disconnect();
    await sub.disconnect();
  });
});

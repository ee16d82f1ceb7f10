import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createNatsBroker, topicSubject } from '../../../src/runtime/broker/nats.ts';
import { runBrokerCases } from '../../conformance/broker.case.ts';
import { startNatsServer, type NatsServer } from '../../helpers/nats-server.ts';

// A real nats-server on 127.0.0.1; the test fails when it cannot start.
let server: NatsServer | undefined;
before(async () => {
  server = await startNatsServer();
});
after(async () => {
  await server?.stop();
});

// Three brokers, each on its own connection.
runBrokerCases('nats', () => {
  const make = () => createNatsBroker({ address: server?.address ?? '' });
  return [make(), make(), make()];
});

describe('nats broker', () => {
  it('maps topics to subjects NATS can carry', () => {
    assert.equal(topicSubject('micro.broker', 'orders.created'), 'micro.broker.orders.created');
    assert.equal(topicSubject('p', 'a*b>c%'), 'p.a%2Ab%3Ec%25');
    assert.equal(topicSubject('p', 'a..b'), 'p.a%2E%2Eb');
    assert.equal(topicSubject('', 'é'), '%C3%A9');
  });

  it('resolves a publish only after the subscriber handled the message', async () => {
    const pub = createNatsBroker({ address: server?.address ?? '' });
    const sub = createNatsBroker({ address: server?.address ?? '' });
    await pub.connect();
    await sub.connect();
    let done = false;
    const s = await sub.subscribe('slow', async () => {
      await new Promise((r) => setTimeout(r, 200));
      done = true;
    });
    await pub.publish('slow', { header: {}, body: Buffer.from('x') });
    assert.equal(done, true);
    await s.unsubscribe();
    await pub.disconnect();
    await sub.disconnect();
  });

  it('refuses to publish before connect, naming the error', async () => {
    const b = createNatsBroker({ address: server?.address ?? '' });
    await assert.rejects(b.publish('t', { header: {}, body: Buffer.from('x') }), /NOT_CONNECTED/);
  });

  it('says where it tried when NATS does not answer', async () => {
    const b = createNatsBroker({ address: '127.0.0.1:1', timeout: 1000 });
    await assert.rejects(b.connect(), /NATS at 127\.0\.0\.1:1/);
  });
});

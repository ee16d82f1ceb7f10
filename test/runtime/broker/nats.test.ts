import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNatsBroker, topicSubject } from '../../../src/runtime/broker/nats.ts';
import { runBrokerCases } from '../../conformance/broker.case.ts';
import { serverForTests } from '../../helpers/lifecycle.ts';
import { startNatsServer } from '../../helpers/nats-server.ts';

// A real nats-server on 127.0.0.1; the test fails when it cannot start.
const address = serverForTests(startNatsServer);

// Three brokers, each on its own connection.
runBrokerCases('nats', () => {
  const make = () => createNatsBroker({ address: address() });
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
    const pub = createNatsBroker({ address: address() });
    const sub = createNatsBroker({ address: address() });
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

  it('resolves a publish as soon as the subscribers answered, with no fixed wait', async () => {
    // It waited 20 ms after the last answer: ~21 ms a publish when anyone subscribed.
    const pub = createNatsBroker({ address: address() });
    const sub = createNatsBroker({ address: address() });
    await pub.connect();
    await sub.connect();
    let got = 0;
    const s1 = await sub.subscribe('quick', () => void got++);
    const s2 = await sub.subscribe('quick', () => void got++, { queue: 'q' });
    const times: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t0 = performance.now();
      await pub.publish('quick', { header: {}, body: Buffer.from('x') });
      times.push(performance.now() - t0);
    }
    assert.equal(got, 80, 'each publish waited for both subscriptions');
    const median = times.sort((a, b) => a - b)[20] ?? Infinity;
    assert.ok(median < 10, `median publish ${median.toFixed(1)} ms`);
    await s1.unsubscribe();
    await s2.unsubscribe();
    await pub.disconnect();
    await sub.disconnect();
  });

  it('waits for subscribers that were there before the publisher connected', async () => {
    const sub = createNatsBroker({ address: address() });
    await sub.connect();
    let done = 0;
    const slow = async (): Promise<void> => {
      await new Promise((r) => setTimeout(r, 100));
      done++;
    };
    const s1 = await sub.subscribe('early', slow);
    const s2 = await sub.subscribe('early', slow, { queue: 'workers' });
    const pub = createNatsBroker({ address: address() });
    await pub.connect();
    await pub.publish('early', { header: {}, body: Buffer.from('x') });
    assert.equal(done, 2);
    await s1.unsubscribe();
    await s2.unsubscribe();
    await pub.publish('early', { header: {}, body: Buffer.from('x') });
    assert.equal(done, 2);
    await pub.disconnect();
    await sub.disconnect();
  });

  it('stops waiting for a subscription that went away without saying so', async () => {
    const pub = createNatsBroker({ address: address(), ackWait: 300 });
    const sub = createNatsBroker({ address: address() });
    await pub.connect();
    await sub.connect();
    let got = 0;
    const s = await sub.subscribe('ghosts', () => void got++);
    // A subscription announced by a process that then died: it never answers.
    const { connect } = await import('nats');
    const raw = await connect({ servers: address() });
    const ghost = { subject: topicSubject('micro.broker', 'ghosts'), key: 'dead', member: 'dead' };
    raw.publish('micro.broker.$interest', JSON.stringify({ op: 'add', ...ghost }));
    await raw.flush();
    await raw.close();
    const first = performance.now();
    await pub.publish('ghosts', { header: {}, body: Buffer.from('x') });
    assert.ok(performance.now() - first >= 250, 'the first publish waited for it');
    const second = performance.now();
    await pub.publish('ghosts', { header: {}, body: Buffer.from('x') });
    assert.ok(performance.now() - second < 250, 'the next did not');
    assert.equal(got, 2);
    await s.unsubscribe();
    await pub.disconnect();
    await sub.disconnect();
  });

  it('refuses to publish before connect, naming the error', async () => {
    const b = createNatsBroker({ address: address() });
    await assert.rejects(b.publish('t', { header: {}, body: Buffer.from('x') }), /NOT_CONNECTED/);
  });

  it('says where it tried when NATS does not answer', async () => {
    const b = createNatsBroker({ address: '127.0.0.1:1', timeout: 1000 });
    await assert.rejects(b.connect(), /NATS at 127\.0\.0\.1:1/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createMemoryBroker,
  createMemoryRegistry,
  type Broker,
  type SubscribeOptions,
} from '../../../src/runtime/index.ts';
import { quietService } from '../../helpers/fixtures.ts';

/** A memory broker that records the options and keys it is given. */
function recording(): Broker & { options: SubscribeOptions[]; keys: (string | undefined)[] } {
  const inner = createMemoryBroker();
  const options: SubscribeOptions[] = [];
  const keys: (string | undefined)[] = [];
  return {
    options,
    keys,
    name: 'recording',
    address: 'memory',
    connect: () => inner.connect(),
    disconnect: () => inner.disconnect(),
    publish(topic, message, o) {
      keys.push(o?.key);
      return inner.publish(topic, message);
    },
    subscribe(topic, handler, o = {}) {
      options.push(o);
      return inner.subscribe(topic, handler, o);
    },
  };
}

describe('durable subscribers and publishes (the runtime hook)', () => {
  it('go to the durable broker, in a group named after the service unless named', async () => {
    const registry = createMemoryRegistry();
    const durable = recording();
    const broker = createMemoryBroker();
    const s = quietService({ name: 'billing', registry, broker, durable });
    const got: unknown[] = [];
    s.subscribe('orders', (m) => void got.push(['durable', m]), { durable: true });
    s.subscribe('audit', (m) => void got.push(['named', m]), {
      queue: 'q',
      durable: { maxInFlight: 5 },
    });
    s.subscribe('orders', (m) => void got.push(['plain', m]));
    await s.start();
    try {
      assert.deepEqual(
        durable.options.map((o) => o.durable),
        [{ group: 'billing' }, { maxInFlight: 5, group: 'q' }],
      );
      await s.client.publish('orders', { n: 1 }, { durable: true, key: 'k1' });
      await s.client.publish('orders', { n: 2 });
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(got, [
        ['durable', { n: 1 }],
        ['plain', { n: 2 }],
      ]);
      assert.deepEqual(durable.keys, ['k1']);
      const [found] = await registry.getService('billing');
      const orders = found?.endpoints.filter((e) => e.name === 'orders');
      assert.deepEqual(
        orders?.map((e) => e.metadata.durable),
        ['true', undefined],
      );
    } finally {
      await s.stop();
      await registry.close();
    }
  });

  it('say what to do when the service has no durable broker', async () => {
    const registry = createMemoryRegistry();
    const s = quietService({ name: 'plain', registry, broker: createMemoryBroker() });
    s.subscribe('orders', () => {}, { durable: true });
    await assert.rejects(
      s.start(),
      /durable subscribers but no durable broker: create it with the platform's createService/,
    );
    await assert.rejects(
      s.client.publish('orders', 1, { durable: true }),
      /durable needs a durable broker/,
    );
    await s.stop();
    await registry.close();
  });
});

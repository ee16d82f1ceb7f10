import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { registries } from '../../src/registry/index.ts';
import { brokers, connectOnPublish } from '../../src/runtime/broker/index.ts';
import { BrokerError, BrokerErrors, type Broker } from '../../src/runtime/broker/broker.ts';
import { brokerFromEnv, registryFromEnv, transportFromEnv } from '../../src/runtime/defaults.ts';
import { createMemoryRegistry, createService } from '../../src/runtime/index.ts';
import { transports } from '../../src/runtime/transport/index.ts';
import { quiet } from '../helpers/fixtures.ts';
import { rawExchange, rawRequest } from '../helpers/raw-http.ts';

/** Asserts a TypeError that names the variable, the bad value and every valid name of the table. */
const listsChoices =
  (variable: string, value: string, table: object) =>
  (err: unknown): boolean => {
    assert.ok(err instanceof TypeError, String(err));
    assert.match(
      err.message,
      new RegExp(`^unknown \\w+ "${value}" \\(${variable}\\): use one of `),
    );
    for (const name of Object.keys(table)) assert.match(err.message, new RegExp(`\\b${name}\\b`));
    return true;
  };

describe('library defaults from MICRO_* variables', () => {
  it('MICRO_REGISTRY and MICRO_REGISTRY_ADDRESS pick the registry', async () => {
    const byDefault = registryFromEnv({});
    assert.equal(byDefault.name, 'micro');
    await byDefault.close();
    for (const [name, address] of [
      ['etcd', '127.0.0.1:23790'],
      ['nats', '127.0.0.1:42220'],
    ] as const) {
      const r = registryFromEnv({ MICRO_REGISTRY: name, MICRO_REGISTRY_ADDRESS: address });
      assert.equal(r.name, name);
      assert.equal(r.address, address);
      await r.close();
    }
    assert.throws(
      () => registryFromEnv({ MICRO_REGISTRY: 'zookeeper' }),
      listsChoices('MICRO_REGISTRY', 'zookeeper', registries),
    );
  });

  it('MICRO_BROKER and MICRO_BROKER_ADDRESS pick the broker (http by default)', async () => {
    const registry = createMemoryRegistry();
    const expected = {
      http: 'http',
      memory: 'memory',
      nats: 'nats',
      jetstream: 'jetstream',
      redis: 'redis',
    } as const;
    assert.equal(brokerFromEnv(registry, {}).name, 'http');
    for (const [variable, name] of Object.entries(expected)) {
      const b = brokerFromEnv(registry, { MICRO_BROKER: variable });
      assert.equal(b.name, name, variable);
      await b.disconnect();
    }
    const nats = brokerFromEnv(registry, {
      MICRO_BROKER: 'nats',
      MICRO_BROKER_ADDRESS: '127.0.0.1:42221',
    });
    assert.equal(nats.address, '127.0.0.1:42221');
    assert.throws(
      () => brokerFromEnv(registry, { MICRO_BROKER: 'kafka' }),
      listsChoices('MICRO_BROKER', 'kafka', brokers),
    );
    // Only names of the table, not what every object has.
    assert.throws(
      () => brokerFromEnv(registry, { MICRO_BROKER: 'toString' }),
      listsChoices('MICRO_BROKER', 'toString', brokers),
    );
    await registry.close();
  });

  it('MICRO_TRANSPORT picks the transport (tcp by default)', async () => {
    assert.equal(transportFromEnv({}).name, 'tcp');
    for (const name of ['tcp', 'http', 'nats']) {
      const t = transportFromEnv({ MICRO_TRANSPORT: name });
      assert.equal(t.name, name);
      await t.close();
    }
    assert.throws(
      () => transportFromEnv({ MICRO_TRANSPORT: 'carrier-pigeon' }),
      listsChoices('MICRO_TRANSPORT', 'carrier-pigeon', transports),
    );
  });

  describe('createService with no instances given', () => {
    const saved = { ...process.env };
    afterEach(() => {
      for (const k of ['MICRO_REGISTRY', 'MICRO_BROKER', 'MICRO_TRANSPORT']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    });

    it('uses the registry, broker and transport the environment names', async () => {
      process.env.MICRO_REGISTRY = 'memory';
      process.env.MICRO_BROKER = 'memory';
      process.env.MICRO_TRANSPORT = 'http';
      const s = createService({ name: 'env-chosen', handleSignals: false, logger: quiet });
      s.handle('A', { async B() {} });
      assert.equal(s.registry.name, 'memory');
      assert.equal(s.broker.name, 'memory');
      await s.start();
      const [found] = await s.registry.getService('env-chosen');
      assert.equal(found?.nodes[0]?.metadata.transport, 'http');
      assert.equal(found?.nodes[0]?.metadata.broker, 'memory');
      await s.stop();
      await s.registry.close();
    });

    it('fails at creation, naming the valid brokers, when MICRO_BROKER is unknown', () => {
      process.env.MICRO_REGISTRY = 'memory';
      process.env.MICRO_BROKER = 'rabbit';
      assert.throws(
        () => createService({ name: 'typo', handleSignals: false }),
        listsChoices('MICRO_BROKER', 'rabbit', brokers),
      );
    });
  });

  it('connects a broker on the first publish that finds it unconnected, once', async () => {
    let connected = false;
    let connects = 0;
    const delivered: string[] = [];
    const inner: Broker = {
      name: 'needs-connect',
      address: 'x',
      async connect() {
        connects++;
        await new Promise((r) => setImmediate(r));
        connected = true;
      },
      async disconnect() {
        connected = false;
      },
      async publish(topic) {
        if (!connected) throw new BrokerError(BrokerErrors.notConnected, 'not yet');
        delivered.push(topic);
      },
      subscribe: () => Promise.reject(new Error('unused')),
    };
    const broker = connectOnPublish(inner);
    const message = { header: {}, body: new Uint8Array() };
    await Promise.all([broker.publish('a', message), broker.publish('b', message)]);
    assert.deepEqual(delivered.sort(), ['a', 'b']);
    assert.equal(connects, 1, 'concurrent publishes share one connect');
    assert.equal(broker.name, 'needs-connect');
    const failing = connectOnPublish({
      ...inner,
      publish: () => Promise.reject(new Error('boom')),
    });
    await assert.rejects(failing.publish('c', message), /boom/, 'other errors pass through');
    // The code decides, not the message: a plugin's own wording still connects, a look-alike does not.
    connected = false;
    const worded = connectOnPublish({
      ...inner,
      async publish(topic) {
        if (!connected)
          throw Object.assign(new Error('the socket is closed'), {
            code: BrokerErrors.notConnected,
          });
        delivered.push(topic);
      },
    });
    await worded.publish('d', message);
    assert.deepEqual(delivered.sort(), ['a', 'b', 'd']);
    const lookalike = connectOnPublish({
      ...inner,
      publish: () => Promise.reject(new Error(`${BrokerErrors.notConnected}: in the message only`)),
    });
    await assert.rejects(lookalike.publish('e', message), /in the message only/);
    assert.equal(connects, 2);
  });

  it('MICRO_SERVER_ALLOWED_HOSTS and _ORIGINS let a reverse proxy and a web app reach a service', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      MICRO_REGISTRY: 'memory',
      MICRO_SERVER_ADDRESS: '127.0.0.1:0',
      MICRO_SERVER_ALLOWED_HOSTS: 'api.test, other.test',
      MICRO_SERVER_ALLOWED_ORIGINS: 'https://app.test',
    });
    const s = createService({ name: 'proxied', handleSignals: false, logger: quiet });
    try {
      s.handle('A', {
        async B() {
          return { ok: true };
        },
      });
      await s.start();
      const port = Number(s.server.address.split(':').pop());
      const status = async (headers: Record<string, string>): Promise<number> =>
        (
          await rawExchange(
            port,
            [rawRequest(port, { headers: { 'micro-endpoint': 'A.B', ...headers }, body: '{}' })],
            { untilResponse: true },
          )
        ).status;
      assert.equal(await status({ host: `api.test:${port}` }), 200);
      assert.equal(await status({ host: `evil.test:${port}` }), 421);
      assert.equal(await status({ origin: 'https://app.test' }), 200);
      assert.equal(await status({ origin: 'https://evil.test' }), 403);
    } finally {
      process.env = saved;
      await s.stop();
    }
  });
});

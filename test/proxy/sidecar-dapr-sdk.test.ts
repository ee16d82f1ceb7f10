// The official Dapr JavaScript SDK (@dapr/dapr, HTTP), unchanged, against the real `micro sidecar`
// process on a real control plane: start-up (it polls /v1.0/metadata), invoke, publish, state with
// ETags, transactions and TTL, and locks. What it stores is what micro's own store and events
// clients read.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  CommunicationProtocolEnum,
  DaprClient,
  HttpMethod,
  LogLevel,
  StateConcurrencyEnum,
  StateConsistencyEnum,
} from '@dapr/dapr';
import { configFromEnv } from '../../src/platform/config/index.ts';
import { eventsFromEnv } from '../../src/platform/events/index.ts';
import type { Events } from '../../src/platform/events/events.ts';
import { storeFromEnv } from '../../src/platform/store/index.ts';
import type { Store } from '../../src/platform/store/store.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient, type Client, type Service } from '../../src/runtime/index.ts';
import { bin, errorOf, micro } from '../helpers/cli.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { closeAll, greeterService } from '../helpers/fixtures.ts';
import { freePort } from '../helpers/net.ts';
import { startNode, type Child } from '../helpers/proc.ts';
import type { RunningServer } from '../helpers/server-process.ts';

describe('the official Dapr SDK against micro sidecar', () => {
  let plane: RunningServer;
  let registry: ReturnType<typeof createMicroRegistry>;
  let client: Client;
  let store: Store;
  let events: Events;
  let greeter: Service;
  let app: Server;
  let sidecar: Child;
  let address = '';
  let dapr: DaprClient;
  const orders = { database: 'orders', table: 'statestore' };
  // The SDK sends it as dapr-api-token.
  const token = 'sdk-token';
  const auth = { 'dapr-api-token': token };

  before(async () => {
    plane = await startTestControlPlane('micro-dapr-sdk-');
    registry = createMicroRegistry({ address: plane.address });
    client = createClient({ registry });
    store = storeFromEnv({}, { client });
    events = eventsFromEnv({}, { client });
    greeter = greeterService(registry);
    await greeter.start();
    app = createServer((_req, res) => res.end());
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const appPort = (app.address() as { port: number }).port;
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    sidecar = startNode(
      bin,
      [
        'sidecar',
        '--sidecar-address',
        address,
        '--server-name',
        'orders',
        '--server-address',
        `127.0.0.1:${appPort}`,
        '--sidecar-token',
        token,
      ],
      { MICRO_REGISTRY_ADDRESS: plane.address },
    );
    await sidecar.waitFor(/sidecar listening/, 20_000);
    dapr = new DaprClient({
      daprHost: '127.0.0.1',
      daprPort: String(port),
      communicationProtocol: CommunicationProtocolEnum.HTTP,
      daprApiToken: token,
      logger: { level: LogLevel.Error },
    });
  });
  after(async () => {
    await dapr?.stop();
    await sidecar?.stop();
    await closeAll(greeter, store, events, client, registry);
    await new Promise((r) => app?.close(r));
    await plane?.stop();
  });

  it('starts, reading the metadata', async () => {
    await dapr.start();
    const m = await dapr.metadata.get();
    assert.equal(m.id, 'orders');
    assert.ok(m.components.some((c) => c.name === 'statestore' && c.type === 'state.micro'));
    assert.equal(await dapr.health.isHealthy(), true);
    assert.equal((await fetch(`http://${address}/v1.0/metadata`)).status, 401);
  });

  it('invokes a micro service and publishes to a micro durable topic', async () => {
    const reply = await dapr.invoker.invoke('greeter', 'Say.Hello', HttpMethod.POST, {
      name: 'Ann',
    });
    assert.deepEqual(reply, { msg: 'Hello Ann' });
    assert.deepEqual(await dapr.pubsub.publish('pubsub', 'orders', { id: 7 }), {});
    // Stored before the 204: micro's events client reads the plain data, the envelope in metadata.
    const [event] = (await events.read('orders')).events;
    assert.deepEqual(event?.data, { id: 7 });
    const envelope = JSON.parse(event?.metadata['dapr.cloudevent'] ?? '{}') as Record<
      string,
      unknown
    >;
    assert.deepEqual(
      [envelope.source, envelope.topic, envelope.pubsubname],
      ['orders', 'orders', 'pubsub'],
    );
  });

  it('saves, gets and deletes state with ETags; a stale ETag is refused and changes nothing', async () => {
    const s = dapr.state;
    assert.deepEqual(
      await s.save('statestore', [
        { key: 'order-1', value: { qty: 1 } },
        { key: 'order-2', value: 'two' },
      ]),
      {},
    );
    assert.deepEqual(await s.get('statestore', 'order-1'), { qty: 1 });
    const [one, two] = (await s.getBulk('statestore', ['order-1', 'order-2'])) as {
      key: string;
      data: unknown;
      etag: string;
    }[];
    assert.deepEqual([one?.key, one?.data, two?.data], ['order-1', { qty: 1 }, 'two']);
    // micro's store holds the same entries: database = the app, table = the state store.
    assert.equal((await store.get('order-1', orders))?.version, one?.etag);

    const stale = await s.save('statestore', [
      { key: 'order-1', value: { qty: 2 }, etag: `${one?.etag}9` },
    ]);
    assert.match(String(stale.error), /409/);
    assert.deepEqual(await s.get('statestore', 'order-1'), { qty: 1 });
    assert.deepEqual(
      await s.save('statestore', [
        {
          key: 'order-1',
          value: { qty: 2 },
          etag: one?.etag,
          options: {
            concurrency: StateConcurrencyEnum.CONCURRENCY_FIRST_WRITE,
            consistency: StateConsistencyEnum.CONSISTENCY_STRONG,
          },
        },
      ]),
      {},
    );
    assert.deepEqual(await s.get('statestore', 'order-1'), { qty: 2 });

    assert.match(String((await s.delete('statestore', 'order-2', { etag: 'stale' })).error), /409/);
    assert.equal(await s.get('statestore', 'order-2'), 'two');
    assert.deepEqual(await s.delete('statestore', 'order-2', { etag: two?.etag }), {});
    assert.equal(await s.get('statestore', 'order-2'), '');

    assert.deepEqual(
      await s.save('statestore', [
        { key: 'session', value: 'x', metadata: { ttlInSeconds: '60' } },
      ]),
      {},
    );
    const lease = (await store.get('session', orders))?.expiresAt ?? 0;
    assert.ok(lease > Date.now() && lease <= Date.now() + 60_000);
  });

  it('applies a transaction atomically', async () => {
    const s = dapr.state;
    await assert.rejects(
      s.transaction('statestore', [
        { operation: 'upsert', request: { key: 'tx-a', value: 1 } },
        // The SDK's types give a transaction's ETag as {value}.
        { operation: 'delete', request: { key: 'order-1', etag: { value: 'stale' } } },
      ]),
      /409/,
    );
    assert.equal(await s.get('statestore', 'tx-a'), '');
    await s.transaction('statestore', [
      { operation: 'upsert', request: { key: 'tx-a', value: 1 } },
      { operation: 'delete', request: { key: 'order-1' } },
    ]);
    assert.equal(await s.get('statestore', 'tx-a'), 1);
    assert.equal(await s.get('statestore', 'order-1'), '');
  });

  it('locks and unlocks', async () => {
    assert.deepEqual(await dapr.lock.lock('lockstore', 'printer', 'ann', 30), { success: true });
    assert.deepEqual(await dapr.lock.lock('lockstore', 'printer', 'bob', 30), { success: false });
    assert.deepEqual(await dapr.lock.unlock('lockstore', 'printer', 'bob'), { status: 2 });
    assert.deepEqual(await dapr.lock.unlock('lockstore', 'printer', 'ann'), { status: 0 });
    assert.deepEqual(await dapr.lock.unlock('lockstore', 'printer', 'ann'), { status: 1 });
  });

  it('reads configuration over HTTP (the SDK offers it over gRPC only)', async () => {
    await assert.rejects(dapr.configuration.get('configstore', ['greeting']), /HTTP/i);
    const config = configFromEnv({}, { client });
    try {
      const { version } = await config.set('greeting', 'hi', { namespace: 'configstore' });
      const res = await fetch(`http://${address}/v1.0/configuration/configstore?key=greeting`, {
        headers: auth,
      });
      assert.deepEqual(await res.json(), {
        greeting: { value: 'hi', version: String(version), metadata: {} },
      });
    } finally {
      await config.close();
    }
  });

  it('refuses an unknown --store with a 400 naming the choices', async () => {
    const run = await micro(['sidecar', '--sidecar-address', '127.0.0.1:0', '--store', 'bogus'], {
      env: { MICRO_REGISTRY_ADDRESS: plane.address },
    });
    assert.notEqual(run.code, 0);
    const err = errorOf(run);
    assert.equal(err.code, 400);
    assert.match(err.detail, /unknown store "bogus".*micro, memory, etcd, redis, nats/);
  });
});

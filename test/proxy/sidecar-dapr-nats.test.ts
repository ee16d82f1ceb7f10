// The sidecar's Dapr state API on NATS JetStream KV (MICRO_STORE=nats, a real nats-server), the one
// engine without multi-key transactions: a save of several items is applied one put at a time, a
// transaction of several operations is refused with a 501, and the metadata says so.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { storeFromEnv } from '../../src/platform/store/index.ts';
import type { Store } from '../../src/platform/store/store.ts';
import { startSidecar, type Sidecar } from '../../src/proxy/sidecar/index.ts';
import {
  createClient,
  createHttpBroker,
  createMemoryRegistry,
  type Client,
} from '../../src/runtime/index.ts';
import { closeAll, postJson, quiet } from '../helpers/fixtures.ts';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.ts';

describe("the sidecar's Dapr state on NATS KV", () => {
  let nats: NatsServer;
  let store: Store;
  let client: Client;
  let sidecar: Sidecar;
  let base = '';
  before(async () => {
    nats = await startNatsServer({ jetstream: true, maxPayload: 2 << 20 });
    store = storeFromEnv({ MICRO_STORE: 'nats', MICRO_STORE_ADDRESS: nats.address });
    const registry = createMemoryRegistry();
    client = createClient({ registry });
    const broker = createHttpBroker({ registry });
    sidecar = await startSidecar({
      address: '127.0.0.1:0',
      registry,
      client,
      broker,
      store,
      logger: quiet,
    });
    base = `http://${sidecar.address}`;
  });
  after(async () => {
    await closeAll(sidecar, store, client);
    await nats.stop();
  });

  it('saves several items one at a time, and refuses a transaction of several with a 501', async () => {
    const saved = await postJson(`${base}/v1.0/state/statestore`, [
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
    assert.equal(saved.status, 204);
    const bulk = await postJson(`${base}/v1.0/state/statestore/bulk`, { keys: ['a', 'b'] });
    const items = (await bulk.json()) as { key: string; data: unknown }[];
    assert.deepEqual(
      items.map((i) => [i.key, i.data]),
      [
        ['a', 1],
        ['b', 2],
      ],
    );
    const tx = await postJson(`${base}/v1.0/state/statestore/transaction`, {
      operations: [
        { operation: 'upsert', request: { key: 'c', value: 3 } },
        { operation: 'delete', request: { key: 'a' } },
      ],
    });
    assert.equal(tx.status, 501);
    const err = (await tx.json()) as { errorCode: string };
    assert.equal(err.errorCode, 'ERR_STATE_TRANSACTION');
    assert.equal((await fetch(`${base}/v1.0/state/statestore/c`)).status, 204);
    const m = (await (await fetch(`${base}/v1.0/metadata`)).json()) as {
      components: { name: string; capabilities: string[] }[];
    };
    const state = m.components.find((c) => c.name === 'statestore');
    assert.deepEqual(state?.capabilities, ['ETAG', 'TTL']);
  });
});

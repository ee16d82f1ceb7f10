// Dapr's documented HTTP shapes, sent as curl would, to a sidecar on a real control plane.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaprBench, type DaprBench } from './dapr-fixture.ts';

describe("the sidecar's Dapr HTTP API", () => {
  let b: DaprBench;
  const ns = { table: 'statestore' };
  before(async () => {
    b = await startDaprBench();
  });
  after(() => b.close());

  it('answers the metadata and health paths the SDKs poll before their first call', async () => {
    assert.equal((await b.dapr('GET', '/v1.0/healthz')).status, 204);
    assert.equal((await b.dapr('GET', '/v1.0/healthz/outbound')).status, 204);
    const put = await b.dapr('PUT', '/v1.0/metadata/cliPID', '4242', {
      'content-type': 'text/plain',
    });
    assert.equal(put.status, 204);
    const res = await b.dapr('GET', '/v1.0/metadata');
    assert.equal(res.status, 200);
    const m = (await res.json()) as Record<string, unknown>;
    assert.equal(m.id, 'orders');
    assert.equal(m.runtimeVersion, 'micro test');
    assert.equal((m.extended as Record<string, string>).cliPID, '4242');
    assert.deepEqual(m.appConnectionProperties, {
      port: b.appPort,
      protocol: 'http',
      channelAddress: '127.0.0.1',
    });
    const components = m.components as { name: string; type: string }[];
    assert.deepEqual(
      components.map((c) => `${c.name}=${c.type}`),
      [
        'statestore=state.micro',
        'configstore=configuration.micro',
        'lockstore=lock.micro',
        'pubsub=pubsub.micro',
      ],
    );
  });

  it('saves, gets and deletes state with ETags, in the app database and the store-named table', async () => {
    const missing = await b.dapr('GET', '/v1.0/state/statestore/planet');
    assert.equal(missing.status, 204);
    assert.equal(await missing.text(), '');
    const saved = await b.dapr('POST', '/v1.0/state/statestore', [
      { key: 'planet', value: { name: 'Tatooine' } },
      { key: 'weapon', value: 'DeathStar' },
    ]);
    assert.equal(saved.status, 204);
    const got = await b.dapr('GET', '/v1.0/state/statestore/planet');
    assert.equal(got.status, 200);
    const etag = got.headers.get('etag') ?? '';
    assert.notEqual(etag, '');
    assert.deepEqual(await got.json(), { name: 'Tatooine' });
    assert.equal(
      await (await b.dapr('GET', '/v1.0/state/statestore/weapon')).text(),
      '"DeathStar"',
    );
    // A micro service named orders reads the same entry from its table statestore.
    const entry = await b.store.get('planet', { database: 'orders', ...ns });
    assert.deepEqual(entry?.value, { name: 'Tatooine' });
    assert.equal(entry?.version, etag);

    const stale = await b.dapr('POST', '/v1.0/state/statestore', [
      { key: 'planet', value: 'Hoth', etag: `${etag}0` },
    ]);
    assert.equal(stale.status, 409);
    const err = (await stale.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(err).sort(), [
      'code',
      'detail',
      'errorCode',
      'id',
      'message',
      'status',
    ]);
    assert.equal(err.code, 409);
    assert.equal(err.errorCode, 'ERR_STATE_SAVE');
    assert.equal(err.message, err.detail);
    assert.deepEqual((await b.store.get('planet', { database: 'orders', ...ns }))?.value, {
      name: 'Tatooine',
    });

    const fresh = await b.dapr('POST', '/v1.0/state/statestore', [
      { key: 'planet', value: 'Hoth', etag, options: { concurrency: 'first-write' } },
    ]);
    assert.equal(fresh.status, 204);
    const etag2 = (await b.dapr('GET', '/v1.0/state/statestore/planet')).headers.get('etag') ?? '';
    assert.notEqual(etag2, etag);
    // first-write without an ETag only creates.
    const first = (key: string) =>
      b.dapr('POST', '/v1.0/state/statestore', [
        { key, value: 1, options: { concurrency: 'first-write' } },
      ]);
    assert.equal((await first('planet')).status, 409);
    assert.equal((await first('moon')).status, 204);

    const del = await b.dapr('DELETE', '/v1.0/state/statestore/planet', undefined, {
      'if-match': etag,
    });
    assert.equal(del.status, 409);
    assert.equal(((await del.json()) as { errorCode: string }).errorCode, 'ERR_STATE_DELETE');
    assert.equal(
      (await b.dapr('DELETE', '/v1.0/state/statestore/planet', undefined, { 'if-match': etag2 }))
        .status,
      204,
    );
    assert.equal((await b.dapr('GET', '/v1.0/state/statestore/planet')).status, 204);
  });

  it('gets in bulk, applies transactions atomically and keeps a TTL', async () => {
    const bulk = await b.dapr('PUT', '/v1.0/state/statestore/bulk', {
      keys: ['weapon', 'nothing'],
      parallelism: 10,
    });
    assert.equal(bulk.status, 200);
    const items = (await bulk.json()) as { key: string; data?: unknown; etag?: string }[];
    assert.equal(items.length, 2);
    assert.deepEqual(
      { ...items[0], etag: undefined },
      { key: 'weapon', data: 'DeathStar', etag: undefined },
    );
    assert.equal(typeof items[0]?.etag, 'string');
    assert.deepEqual(items[1], { key: 'nothing' });

    const tx = (operations: unknown[]) =>
      b.dapr('POST', '/v1.0/state/statestore/transaction', {
        operations,
        metadata: { partitionKey: 'p' },
      });
    const refused = await tx([
      { operation: 'upsert', request: { key: 'k1', value: 'v1' } },
      { operation: 'delete', request: { key: 'weapon', etag: 'not-the-etag' } },
    ]);
    assert.equal(refused.status, 409);
    assert.equal(
      ((await refused.json()) as { errorCode: string }).errorCode,
      'ERR_STATE_TRANSACTION',
    );
    assert.equal((await b.dapr('GET', '/v1.0/state/statestore/k1')).status, 204);
    assert.equal((await b.dapr('GET', '/v1.0/state/statestore/weapon')).status, 200);
    const applied = await tx([
      { operation: 'upsert', request: { key: 'k1', value: 'v1' } },
      { operation: 'delete', request: { key: 'weapon', etag: items[0]?.etag } },
    ]);
    assert.equal(applied.status, 204);
    assert.equal(await (await b.dapr('GET', '/v1.0/state/statestore/k1')).text(), '"v1"');
    assert.equal((await b.dapr('GET', '/v1.0/state/statestore/weapon')).status, 204);

    const before = Date.now();
    const ttl = await b.dapr('POST', '/v1.0/state/cache?metadata.ttlInSeconds=60', [
      { key: 't', value: 1 },
    ]);
    assert.equal(ttl.status, 204);
    const e = await b.store.get('t', { database: 'orders', table: 'cache' });
    assert.ok(
      e?.expiresAt !== undefined &&
        e.expiresAt >= before + 59_000 &&
        e.expiresAt <= Date.now() + 60_000,
    );
    // The store name used shows in the metadata.
    const m = (await (await b.dapr('GET', '/v1.0/metadata')).json()) as {
      components: { name: string }[];
    };
    assert.ok(m.components.some((c) => c.name === 'cache'));
  });

  it('reads configuration items, and POSTs subscribed changes to the app', async () => {
    const cs = { namespace: 'configstore' };
    await b.config.set('greeting', 'hi', cs);
    await b.config.set('db.pool.max', 10, cs);
    const res = await b.dapr('GET', '/v1.0/configuration/configstore?key=greeting&key=db.pool.max');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      greeting: { value: 'hi', version: '2', metadata: {} },
      'db.pool.max': { value: '10', version: '2', metadata: {} },
    });
    const all = await b.dapr('GET', '/v1.0-alpha1/configuration/configstore');
    assert.deepEqual(Object.keys((await all.json()) as object).sort(), ['db.pool.max', 'greeting']);
    assert.equal((await b.dapr('GET', '/v1.0/configuration/configstore?key=nothing')).status, 204);

    const sub = await b.dapr('GET', '/v1.0/configuration/configstore/subscribe?key=greeting');
    assert.equal(sub.status, 200);
    const { id } = (await sub.json()) as { id: string };
    await b.config.set('greeting', 'hello', cs);
    const update = await b.nextAppRequest();
    assert.equal(update.url, '/configuration/configstore/greeting');
    assert.deepEqual(update.body, {
      id,
      items: { greeting: { value: 'hello', version: '3', metadata: {} } },
    });
    // Without keys, a change reports the leaves under the changed path.
    const every = await b.dapr('GET', '/v1.0/configuration/configstore/subscribe');
    const everyId = ((await every.json()) as { id: string }).id;
    const { version } = await b.config.set('db', { pool: { max: 20, min: 1 } }, cs);
    const seen = new Map<string, unknown>();
    while (seen.size < 2) {
      const r = await b.nextAppRequest();
      seen.set(r.url, r.body);
    }
    const items = {
      'db.pool.max': { value: '20', version: String(version), metadata: {} },
      'db.pool.min': { value: '1', version: String(version), metadata: {} },
    };
    assert.deepEqual(Object.fromEntries(seen), {
      '/configuration/configstore/db.pool.max': { id: everyId, items },
      '/configuration/configstore/db.pool.min': { id: everyId, items },
    });
    await b.dapr('GET', `/v1.0/configuration/configstore/${everyId}/unsubscribe`);
    const un = await b.dapr('GET', `/v1.0/configuration/configstore/${id}/unsubscribe`);
    assert.deepEqual(await un.json(), { ok: true });
    const again = await b.dapr('GET', `/v1.0/configuration/configstore/${id}/unsubscribe`);
    assert.equal(again.status, 404);
    assert.equal(
      ((await again.json()) as { errorCode: string }).errorCode,
      'ERR_CONFIGURATION_UNSUBSCRIBE',
    );
  });

  it('locks and unlocks with the documented bodies and statuses', async () => {
    const lock = (lockOwner: string) =>
      b.dapr('POST', '/v1.0-alpha1/lock/lockstore', {
        resourceId: 'r1',
        lockOwner,
        expiryInSeconds: 30,
      });
    const unlock = async (lockOwner: string) =>
      (
        await b.dapr('POST', '/v1.0-alpha1/unlock/lockstore', { resourceId: 'r1', lockOwner })
      ).json();
    const taken = await lock('vader');
    assert.equal(taken.status, 200);
    assert.deepEqual(await taken.json(), { success: true });
    assert.deepEqual(await (await lock('luke')).json(), { success: false });
    const held = await b.sync.locks({ prefix: 'lockstore/' });
    assert.deepEqual(
      held.map((l) => [l.name, l.holder]),
      [['lockstore/r1', 'vader']],
    );
    assert.deepEqual(await unlock('luke'), { status: 2 });
    assert.deepEqual(await unlock('vader'), { status: 0 });
    assert.deepEqual(await unlock('vader'), { status: 1 });
    assert.deepEqual(await (await lock('luke')).json(), { success: true });
  });
});

// The sidecar with auth on, over real sockets: micro's routes, Dapr's invoke, state, publish,
// configuration, lock and metadata paths, and the broker WebSocket refuse every missing, bad or
// revoked token (401, Dapr's errorCode on Dapr paths) and a good token the rules refuse (403); a
// Dapr SDK's `dapr-api-token` header works like Bearer; allowed tokens reach the service.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { createMemoryConfig } from '../../src/platform/config/memory.ts';
import { createMemoryStore } from '../../src/platform/store/memory.ts';
import { createMemorySync } from '../../src/platform/sync/memory.ts';
import { createService, type Service } from '../../src/runtime/index.ts';
import { quiet } from '../helpers/fixtures.ts';
import { edgeAuthBench, type EdgeAuthBench } from '../helpers/edge-auth.ts';
import { startSidecarBench, type SidecarBench } from './sidecar-fixture.ts';

type Json = Record<string, unknown>;

/** A request of each kind the sidecar serves, for a token given by `headers`. */
const REQUESTS: [method: string, path: string, body?: unknown][] = [
  ['POST', '/greeter/Say.Hello', { name: 'Ann' }],
  ['POST', '/rpc', { service: 'greeter', endpoint: 'Say.Hello', request: {} }],
  ['GET', '/registry'],
  ['POST', '/publish/orders', { n: 1 }],
  ['POST', '/v1.0/invoke/greeter/method/Say.Hello', { name: 'Ann' }],
  ['GET', '/v1.0/state/statestore/k'],
  ['POST', '/v1.0/state/statestore', [{ key: 'k', value: 1 }]],
  ['POST', '/v1.0/publish/pubsub/orders', { n: 1 }],
  ['GET', '/v1.0/configuration/appconfig?key=a'],
  ['POST', '/v1.0-alpha1/lock/lockstore', { resourceId: 'r', lockOwner: 'o', expiryInSeconds: 5 }],
  ['GET', '/v1.0/metadata'],
];

/** What the broker socket was answered: 101 and its first message, or the refusal. */
async function socket(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; first?: Json }> {
  const ws = new WebSocket(url, { headers });
  ws.on('error', () => undefined);
  const got = await Promise.race([
    once(ws, 'message').then(([m]) => JSON.parse(String(m)) as Json),
    once(ws, 'unexpected-response').then(([, res]) => res as IncomingMessage),
  ]);
  if (!(got instanceof IncomingMessage)) {
    ws.close();
    return { status: 101, body: {}, first: got };
  }
  let text = '';
  for await (const c of got) text += String(c);
  return { status: got.statusCode ?? 0, body: JSON.parse(text) as Json };
}

describe('the sidecar with auth on', () => {
  let a: EdgeAuthBench;
  let bench: SidecarBench;
  let meta: Service;
  const ask = (method: string, path: string, body: unknown, headers: Record<string, string>) =>
    fetch(`${bench.base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  before(async () => {
    a = await edgeAuthBench();
    bench = await startSidecarBench({
      sidecar: {
        auth: a.edge,
        store: createMemoryStore(),
        config: createMemoryConfig(),
        sync: createMemorySync(),
        app: { name: 'orders', address: '127.0.0.1:9' },
      },
    });
    // Answers with the metadata it was called with.
    meta = createService({
      name: 'meta',
      registry: bench.registry,
      handleSignals: false,
      logger: quiet,
    });
    meta.handle('Meta', {
      Echo: async (_req: unknown, ctx: { metadata: unknown }) => ctx.metadata,
    });
    await meta.start();
  });
  after(async () => {
    await meta.stop();
    await bench.close();
    await a.close();
  });

  it('refuses a missing, bad or revoked token on every route with a 401 (Dapr paths: ERR_UNAUTHORIZED)', async () => {
    const ways: [string, Record<string, string>][] = [
      ['no token', {}],
      ['revoked', bearer(a.tokens.revoked)],
      ...Object.entries(a.bad).map(([why, t]): [string, Record<string, string>] => [
        why,
        bearer(t),
      ]),
      ['dapr-api-token expired', { 'dapr-api-token': a.bad.expired! }],
    ];
    for (const [why, headers] of ways)
      for (const [method, path, body] of REQUESTS) {
        if (why.startsWith('dapr') && !path.startsWith('/v1.0')) continue;
        const res = await ask(method, path, body, headers);
        const text = await res.text();
        assert.equal(res.status, 401, `${why}: ${method} ${path}: ${text}`);
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="micro"/);
        const e = JSON.parse(text) as Json;
        assert.equal(e.code, 401);
        if (path.startsWith('/v1.0')) {
          assert.equal(e.errorCode, 'ERR_UNAUTHORIZED', `${method} ${path}`);
          assert.equal(e.message, e.detail);
        }
        const token = (headers.authorization ?? headers['dapr-api-token'] ?? '').split(' ').pop();
        if (token) assert.ok(!text.includes(token), 'the answer echoes the token');
      }
  });

  it('refuses a good token the rules do not allow with a 403 (Dapr paths: ERR_PERMISSION_DENIED)', async () => {
    const alice = bearer(a.tokens.alice);
    const denied: [string, string, unknown][] = [
      ['POST', '/greeter/Say.Meta', {}],
      ['POST', '/rpc', { service: 'greeter', endpoint: 'Say.Meta' }],
      ['POST', '/registry', { name: 'greeter', nodes: [{ id: 'x', address: '127.0.0.1:1' }] }],
      ['POST', '/publish/payments', {}],
      ['POST', '/v1.0/invoke/greeter/method/Say.Meta', {}],
      ['POST', '/v1.0/state/statestore', [{ key: 'k', value: 1 }]],
      ['DELETE', '/v1.0/state/statestore/k', undefined],
      ['POST', '/v1.0/publish/pubsub/payments', {}],
      ['GET', '/v1.0/configuration/secrets?key=a', undefined],
      ['POST', '/v1.0-alpha1/lock/other', { resourceId: 'r', lockOwner: 'o', expiryInSeconds: 5 }],
    ];
    for (const [method, path, body] of denied) {
      const res = await ask(method, path, body, alice);
      const e = (await res.json()) as Json;
      assert.equal(res.status, 403, `${method} ${path}: ${JSON.stringify(e)}`);
      assert.match(String(e.detail), /^account alice may not /);
      if (path.startsWith('/v1.0')) assert.equal(e.errorCode, 'ERR_PERMISSION_DENIED');
    }
    // Nothing was written.
    const read = await ask('GET', '/v1.0/state/statestore/k', undefined, bearer(a.tokens.admin));
    assert.equal(read.status, 204);
  });

  it('serves allowed tokens, by Bearer or dapr-api-token, and forwards them to the service', async () => {
    const dapr = { 'dapr-api-token': a.tokens.alice };
    const invoke = await ask('POST', '/v1.0/invoke/greeter/method/Say.Hello', { name: 'Bo' }, dapr);
    assert.deepEqual(await invoke.json(), { msg: 'Hello Bo' });
    assert.equal((await ask('GET', '/v1.0/state/statestore/k', undefined, dapr)).status, 204);
    assert.equal((await ask('POST', '/v1.0/publish/pubsub/orders', { n: 1 }, dapr)).status, 204);
    assert.ok((await ask('GET', '/v1.0/configuration/appconfig?key=a', undefined, dapr)).ok);
    const lock = await ask(
      'POST',
      '/v1.0-alpha1/lock/lockstore',
      { resourceId: 'r', lockOwner: 'o', expiryInSeconds: 5 },
      dapr,
    );
    assert.deepEqual(await lock.json(), { success: true });
    assert.equal((await ask('GET', '/v1.0/metadata', undefined, dapr)).status, 200);
    assert.equal((await ask('GET', '/registry', undefined, bearer(a.tokens.alice))).status, 200);
    for (const path of ['/meta/Meta.Echo', '/v1.0/invoke/meta/method/Meta.Echo']) {
      const echo = await ask('POST', path, {}, bearer(a.tokens.admin));
      assert.equal(((await echo.json()) as Json).authorization, `Bearer ${a.tokens.admin}`);
    }
    const viaDapr = await ask(
      'POST',
      '/v1.0/invoke/meta/method/Meta.Echo',
      {},
      {
        'dapr-api-token': a.tokens.worker,
      },
    );
    assert.equal(((await viaDapr.json()) as Json).authorization, `Bearer ${a.tokens.worker}`);
    // Liveness stays open, as in Dapr.
    assert.equal((await fetch(`${bench.base}/health`)).status, 200);
    const stale = { headers: { 'dapr-api-token': a.bad.expired! } };
    assert.equal((await fetch(`${bench.base}/v1.0/healthz`, stale)).status, 204);
  });

  it('refuses to start with both a static token and auth', async () => {
    await assert.rejects(bench.start({ auth: a.edge, token: 'static-token' }), (err: Error) =>
      /a token or auth, not both/.test(err.message),
    );
  });

  it('the broker WebSocket: a token in the header or access_token, refused before the upgrade', async () => {
    const url = `ws://${bench.sidecar.address}/broker?topic=orders`;
    const none = await socket(url);
    assert.equal(none.status, 401);
    for (const [why, t] of Object.entries({ ...a.bad, revoked: a.tokens.revoked }))
      assert.equal((await socket(`${url}&access_token=${encodeURIComponent(t)}`)).status, 401, why);
    const other = await socket(
      `ws://${bench.sidecar.address}/broker?topic=payments`,
      bearer(a.tokens.alice),
    );
    assert.equal(other.status, 403);
    assert.match(String(other.body.detail), /account alice may not topic payments subscribe/);
    const byQuery = await socket(`${url}&access_token=${a.tokens.alice}`);
    assert.deepEqual(byQuery.first, { subscribed: 'orders' });
    const byHeader = await socket(url, bearer(a.tokens.admin));
    assert.deepEqual(byHeader.first, { subscribed: 'orders' });
    // Allowed to subscribe to news, not to publish there: each frame sent is refused.
    const ws = new WebSocket(`ws://${bench.sidecar.address}/broker?topic=news`, {
      headers: bearer(a.tokens.alice),
    });
    const [first] = (await once(ws, 'message')) as [Buffer];
    assert.deepEqual(JSON.parse(String(first)), { subscribed: 'news' });
    ws.send('{"headline":"x"}');
    const [refusal] = (await once(ws, 'message')) as [Buffer];
    const e = JSON.parse(String(refusal)) as Json;
    assert.equal(e.code, 403);
    assert.match(String(e.detail), /account alice may not topic news publish/);
    ws.close();
  });
});

// The gateway with auth on, over real sockets: every bad token, none, a revoked one and a good token
// the rules refuse are 401/403 on RPC routes, /rpc, the HTTP proxy, events, OpenAPI, metrics and
// WebSocket streams; an allowed token reaches the service, which receives it as `authorization`.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { createGateway, type Gateway, type RequestLogEntry } from '../../src/proxy/index.ts';
import { createMemoryRegistry, type Service } from '../../src/runtime/index.ts';
import { edgeAuthBench, type EdgeAuthBench } from '../helpers/edge-auth.ts';
import { closeAll, record } from '../helpers/fixtures.ts';
import { greeter, httpApp } from './fixtures.ts';

type Json = Record<string, unknown>;

/** What an upgrade was answered with: 101 and the socket's messages, or the refusal. */
async function upgrade(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; challenge?: string; messages: string[] }> {
  const ws = new WebSocket(url, { headers });
  ws.on('error', () => undefined);
  const messages: string[] = [];
  ws.on('message', (m: Buffer) => messages.push(m.toString('utf8')));
  const got = await Promise.race([
    once(ws, 'open').then(() => 'open' as const),
    once(ws, 'unexpected-response').then(([, res]) => res as IncomingMessage),
  ]);
  if (got === 'open') {
    await once(ws, 'close');
    return { status: 101, body: {}, messages };
  }
  let text = '';
  for await (const c of got) text += String(c);
  return {
    status: got.statusCode ?? 0,
    body: JSON.parse(text) as Json,
    challenge: got.headers['www-authenticate'],
    messages,
  };
}

describe('the API gateway with auth on', () => {
  const registry = createMemoryRegistry();
  let a: EdgeAuthBench;
  let gateway: Gateway;
  let service: Service;
  let app: Awaited<ReturnType<typeof httpApp>>;
  let base = '';
  const logs: RequestLogEntry[] = [];
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  before(async () => {
    a = await edgeAuthBench();
    service = greeter(registry, '1.0.0');
    await service.start();
    app = await httpApp();
    await registry.register(
      record('legacy', { version: '1', address: app.address, nodeMetadata: { handler: 'http' } }),
    );
    gateway = await createGateway({
      registry,
      address: '127.0.0.1:0',
      log: (e) => void logs.push(e),
      auth: a.edge,
    });
    base = `http://${gateway.address}`;
  });
  after(() => closeAll(gateway, service, app, a, registry));

  /** Every way of asking without a usable token, with what the challenge must say. */
  const refusals = (): [string, Record<string, string>, RegExp][] => [
    ['no token', {}, /^Bearer realm="micro"$/],
    ['another scheme', { authorization: 'Basic YWRtaW46eA==' }, /error="invalid_token"/],
    ['revoked', bearer(a.tokens.revoked), /error="invalid_token", error_description=".*revoked/],
    ...Object.entries(a.bad).map(([why, t]): [string, Record<string, string>, RegExp] => [
      why,
      bearer(t),
      /^Bearer realm="micro", error="invalid_token", error_description="[^"]+"$/,
    ]),
  ];

  it('refuses every missing, bad and revoked token with a 401, its challenge, and never the token', async () => {
    for (const [why, headers, challenge] of refusals()) {
      for (const res of [
        await post('/greeter/say/hello', { name: 'Ann' }, headers),
        await post('/rpc', { service: 'greeter', endpoint: 'Say.Hello' }, headers),
        await fetch(`${base}/legacy/anything`, { headers }),
        await post('/event/orders', { n: 1 }, headers),
        await fetch(`${base}/openapi.json`, { headers }),
        await fetch(`${base}/metrics`, { headers }),
      ]) {
        const text = await res.text();
        assert.equal(res.status, 401, `${why}: ${res.url} ${text}`);
        assert.match(res.headers.get('www-authenticate') ?? '', challenge, why);
        const body = JSON.parse(text) as Json;
        assert.equal(body.code, 401);
        assert.equal(body.status, 'Unauthorized');
        const token = headers.authorization?.split(' ')[1];
        if (token) assert.ok(!text.includes(token), `${why}: the answer echoes the token`);
      }
    }
  });

  it('says why a token is refused', async () => {
    const detail = async (t: string) =>
      String(((await (await post('/greeter/say/hello', {}, bearer(t))).json()) as Json).detail);
    assert.match(await detail(a.bad.expired!), /expired/);
    assert.match(await detail(a.bad['wrong audience']!), /audience/);
    assert.match(await detail(a.tokens.revoked), /revoked/);
  });

  it('refuses a good token the rules do not allow with a 403 naming the account and resource', async () => {
    const alice = bearer(a.tokens.alice);
    for (const res of [
      await post('/greeter/greeter/hello', { name: 'Ann' }, alice),
      await post('/rpc', { service: 'greeter', endpoint: 'Say.Meta' }, alice),
      await fetch(`${base}/legacy/anything`, { headers: alice }),
      await post('/event/payments', { n: 1 }, alice),
    ]) {
      const body = (await res.json()) as Json;
      assert.equal(res.status, 403, JSON.stringify(body));
      assert.match(String(body.detail), /account alice may not (service|topic) /);
      assert.equal(res.headers.get('www-authenticate'), null);
    }
  });

  it('lets allowed tokens through, the scheme in any case, and forwards the token to the service', async () => {
    const hello = await post(
      '/greeter/say/hello',
      { name: 'Ann' },
      {
        authorization: `bEaReR ${a.tokens.alice}`,
      },
    );
    assert.equal(hello.status, 200);
    assert.equal(((await hello.json()) as Json).msg, 'Hello Ann');
    const meta = await post(
      '/rpc',
      { service: 'greeter', endpoint: 'Say.Meta' },
      bearer(a.tokens.admin),
    );
    assert.equal(((await meta.json()) as Json).authorization, `Bearer ${a.tokens.admin}`);
    const proxied = await fetch(`${base}/legacy/x?y=1`, { headers: bearer(a.tokens.worker) });
    assert.equal(proxied.status, 218);
    const seen = (await proxied.json()) as { headers: Json };
    assert.equal(seen.headers.authorization, `Bearer ${a.tokens.worker}`);
    const event = await post('/event/orders', { n: 1 }, bearer(a.tokens.alice));
    assert.equal(event.status, 202);
    const doc = await fetch(`${base}/openapi.json`, { headers: bearer(a.tokens.alice) });
    assert.equal(doc.status, 200);
    // Liveness stays open.
    assert.equal((await fetch(`${base}/`)).status, 200);
  });

  it('WebSocket streams: the token in the header or access_token, refused before the upgrade', async () => {
    const url = `ws://${gateway.address}/greeter/say/count?n=2`;
    const ok = await upgrade(`${url}&access_token=${a.tokens.admin}`);
    assert.equal(ok.status, 101);
    assert.deepEqual(
      ok.messages.map((m) => JSON.parse(m) as Json),
      [{ i: 0 }, { i: 1 }],
    );
    assert.equal((await upgrade(url, bearer(a.tokens.admin))).status, 101);
    const none = await upgrade(url);
    assert.equal(none.status, 401);
    assert.equal(none.challenge, 'Bearer realm="micro"');
    for (const [why, t] of Object.entries({ ...a.bad, revoked: a.tokens.revoked })) {
      const r = await upgrade(`${url}&access_token=${encodeURIComponent(t)}`);
      assert.equal(r.status, 401, why);
      assert.match(r.challenge ?? '', /error="invalid_token"/);
    }
    const alice = await upgrade(`${url}&access_token=${a.tokens.alice}`);
    assert.equal(alice.status, 403);
    assert.match(String(alice.body.detail), /account alice may not service greeter Say.Count/);
  });

  it('writes no token in its request log, access_token parameters included', () => {
    const lines = JSON.stringify(logs);
    assert.ok(logs.some((l) => l.url.includes('access_token=[redacted]')));
    for (const t of [...Object.values(a.tokens), ...Object.values(a.bad)])
      assert.ok(!lines.includes(t), 'a token is in the request log');
  });
});

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { createGateway, type Gateway, type RequestLogEntry } from '../../src/proxy/index.ts';
import { unauthorized, type Registry, type Service } from '../../src/runtime/index.ts';
import { closedAddress } from '../helpers/cli.ts';
import { closeAll, postJson, record } from '../helpers/fixtures.ts';
import { controlPlane, greeter, httpApp, users } from './fixtures.ts';

type Json = Record<string, unknown>;

/** Resolves once check() is true, checking every 20 ms for at most ms: for state only visible by asking. */
async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Opens a WebSocket and collects its text messages until it closes. */
async function socket(
  url: string,
  send: string[] = [],
  headers: Record<string, string> = {},
): Promise<{ messages: string[]; code: number }> {
  const ws = new WebSocket(url, { headers });
  const messages: string[] = [];
  ws.on('message', (m: Buffer) => messages.push(m.toString('utf8')));
  await once(ws, 'open');
  for (const m of send) ws.send(m);
  const [code] = (await once(ws, 'close')) as [number];
  return { messages, code };
}

/** The status an upgrade was refused with. */
async function refused(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json }> {
  const ws = new WebSocket(url, { headers });
  ws.on('error', () => undefined);
  const [, res] = (await once(ws, 'unexpected-response')) as [
    unknown,
    import('node:http').IncomingMessage,
  ];
  let text = '';
  for await (const c of res) text += String(c);
  return { status: res.statusCode ?? 0, body: JSON.parse(text) as Json };
}

describe('the API gateway', () => {
  let plane: Awaited<ReturnType<typeof controlPlane>>;
  let registry: Registry;
  const services: Service[] = [];
  const apps: Awaited<ReturnType<typeof httpApp>>[] = [];
  const events: unknown[] = [];
  const logs: RequestLogEntry[] = [];
  let gateway: Gateway;
  let base = '';
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    postJson(`${base}${path}`, body, headers);
  const json = async (res: Response): Promise<Json> => (await res.json()) as Json;

  before(async () => {
    plane = await controlPlane();
    registry = plane.registry;
    services.push(
      greeter(registry, '1.0.0', events),
      greeter(registry, '2.0.0', events),
      users(registry),
    );
    for (const s of services) await s.start();
    const legacy = await httpApp();
    const webapp = await httpApp(true);
    apps.push(legacy, webapp);
    for (const [name, app, handler] of [
      ['legacy', legacy, 'http'],
      ['webapp', webapp, 'web'],
    ] as const) {
      await registry.register(
        record(name, { version: '1', address: app.address, nodeMetadata: { handler } }),
      );
    }
    gateway = await createGateway({
      registry,
      address: '127.0.0.1:0',
      cors: ['https://app.example'],
      log: (e) => void logs.push(e),
      version: 'test',
    });
    base = `http://${gateway.address}`;
  });
  after(() => closeAll(gateway, ...services, ...apps, plane));

  it('rpc: resolves /[service]/[handler]/[method] and /[service]/[method], from a JSON body, a form or the query', async () => {
    const a = await post('/greeter/say/hello', { name: 'Ann' });
    assert.equal(a.status, 200);
    assert.equal(a.headers.get('content-type'), 'application/json');
    assert.match(String((await json(a)).msg), /^Hello Ann$/);
    assert.deepEqual(await json(await post('/greeter/hello', { name: 'Bo' })), { msg: 'Hi Bo' });
    const form = await post('/greeter/say/hello', 'name=Cy', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal((await json(form)).msg, 'Hello Cy');
    // What `curl -d '{...}'` sends: JSON labelled as a form.
    const curl = await post('/greeter/say/hello', '{"name":"Di"}', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal((await json(curl)).msg, 'Hello Di');
    const query = await fetch(`${base}/greeter/say/hello?name=Ed`);
    assert.equal((await json(query)).msg, 'Hello Ed');
  });

  it('routes by version: a /vN prefix or a Micro-Version header picks the nodes of that major version', async () => {
    for (const v of ['1', '2']) {
      const byPath = await json(await post(`/v${v}/greeter/say/hello`, { name: 'Ann' }));
      assert.equal(byPath.version, v);
      const byHeader = await json(
        await post('/greeter/say/hello', { name: 'Ann' }, { 'micro-version': v }),
      );
      assert.equal(byHeader.version, v);
      const exact = await json(
        await post('/greeter/say/hello', { name: 'Ann' }, { 'micro-version': `${v}.0.0` }),
      );
      assert.equal(exact.version, v);
    }
    const none = await post('/v3/greeter/say/hello', { name: 'Ann' });
    assert.equal(none.status, 404);
    assert.match(
      String((await json(none)).detail),
      /no version matching v3; it has (1\.0\.0, 2\.0\.0|2\.0\.0, 1\.0\.0)/,
    );
  });

  it('routes endpoint-declared paths, with path parameters merged and typed by the request schema', async () => {
    const get = await fetch(`${base}/users/7?full=true`);
    assert.equal(get.status, 200);
    assert.deepEqual(await json(get), { id: 7, name: 'user 7', full: true });
    const put = await fetch(`${base}/users/8`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bo' }),
    });
    assert.deepEqual(await json(put), { renamed: '8', to: 'Bo' });
    const wrongMethod = await fetch(`${base}/users/7`, { method: 'DELETE' });
    assert.equal(
      wrongMethod.status,
      404,
      'no declared route: the resolver finds no endpoint Users.7',
    );
  });

  it('api: passes the whole request to the endpoint and answers with its status, headers and body', async () => {
    const res = await fetch(`${base}/hooks/github?x=1&x=2`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-test': 'yes' },
      body: 'raw body',
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-hook'), 'yes');
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(
      await res.text(),
      'POST /hooks/github {"name":"github"} {"x":["1","2"]} yes raw body',
    );
  });

  it('http: reverse-proxies to a service that speaks HTTP, path and body unchanged, X-Forwarded-* added', async () => {
    const res = await fetch(`${base}/legacy/orders/1?x=1`, {
      method: 'POST',
      body: 'hi',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(res.status, 218);
    assert.equal(res.headers.get('x-app'), 'legacy');
    const seen = await json(res);
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/legacy/orders/1?x=1');
    assert.equal(seen.body, 'hi');
    assert.equal(seen.forwardedFor, '127.0.0.1');
    assert.equal(seen.forwardedHost, gateway.address);
    const upgrade = await refused(`ws://${gateway.address}/legacy/socket`);
    assert.equal(upgrade.status, 400, 'http services take no WebSockets');
  });

  it('web: reverse-proxies HTTP and WebSocket upgrades under the /[service] prefix, as the dashboard does', async () => {
    const res = await fetch(`${base}/webapp/page?x=1`);
    assert.equal(res.status, 218);
    const seen = await json(res);
    assert.equal(seen.url, '/page?x=1', 'the prefix is stripped');
    assert.equal(seen.basePath, '/webapp');
    const bare = await fetch(`${base}/webapp`, { redirect: 'manual' });
    assert.equal(bare.status, 308);
    assert.equal(bare.headers.get('location'), '/webapp/');
    const ws = new WebSocket(`ws://${gateway.address}/webapp/socket`);
    const got: string[] = [];
    ws.on('message', (m: Buffer) => {
      got.push(m.toString('utf8'));
      if (got.length === 1) ws.send('ping');
      else ws.close();
    });
    await once(ws, 'close');
    assert.deepEqual(got, ['hello /socket', 'echo ping']);
  });

  it('web: a service is a web app when any of its nodes says handler=web, and only those nodes serve it', async () => {
    // The gateway used to read only the first node's mark, and so took this service for rpc.
    const webapp = apps[1];
    assert.ok(webapp);
    const mixed = record('mixedapp', {
      version: '1',
      nodes: [
        { id: 'mixedapp-rpc', address: await closedAddress(), metadata: {} },
        { id: 'mixedapp-web', address: webapp.address, metadata: { handler: 'web' } },
      ],
    });
    await registry.register(mixed);
    try {
      for (let i = 0; i < 8; i++) {
        const res = await fetch(`${base}/mixedapp/page`);
        assert.equal(res.status, 218, 'the unmarked node is never picked');
        const seen = await json(res);
        assert.equal(seen.url, '/page');
        assert.equal(seen.basePath, '/mixedapp');
      }
    } finally {
      await registry.deregister(mixed);
    }
  });

  it('web as the default handler: every service without an endpoint route is proxied, on all its nodes', async () => {
    const webapp = apps[1];
    assert.ok(webapp);
    const plain = record('plainapp', { version: '1', address: webapp.address });
    await registry.register(plain);
    const web = await createGateway({
      registry,
      address: '127.0.0.1:0',
      handler: 'web',
      log: false,
    });
    try {
      const res = await fetch(`http://${web.address}/plainapp/page`);
      assert.equal(res.status, 218);
      assert.equal((await json(res)).url, '/page');
    } finally {
      await web.close();
      await registry.deregister(plain);
    }
  });

  it('http and web: hop-by-hop headers and those Connection names stay behind; Host and the rest pass', async () => {
    const seen = await new Promise<Json>((resolve, reject) => {
      const req = request(
        `${base}/legacy/hop`,
        {
          headers: {
            connection: 'keep-alive, x-secret',
            'x-secret': 'for the gateway only',
            'proxy-connection': 'keep-alive',
            'x-micro-web-base-path': '/spoofed',
            'x-kept': 'yes',
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString('utf8')));
          res.on('end', () => resolve(JSON.parse(text) as Json));
        },
      );
      req.on('error', reject);
      req.end();
    });
    const headers = seen.headers as Record<string, string>;
    assert.equal(headers['x-secret'], undefined, 'a header the Connection header names');
    assert.equal(headers['proxy-connection'], undefined);
    assert.equal(headers['x-micro-web-base-path'], undefined, 'never taken from the client');
    assert.equal(headers['x-kept'], 'yes');
    assert.equal(headers.host, gateway.address, "the client's Host, as the dashboard passes it");
  });

  it('event: POST /event/<topic> publishes the body', async () => {
    const res = await post('/event/events', { order: 7 });
    assert.equal(res.status, 202);
    assert.deepEqual(await json(res), { topic: 'events' });
    assert.ok(events.some((e) => (e as Json).order === 7));
    assert.equal((await fetch(`${base}/event/events`)).status, 405);
  });

  it('POST /rpc calls the service and endpoint named in a JSON or form body', async () => {
    const a = await post('/rpc', {
      service: 'greeter',
      endpoint: 'Say.Hello',
      request: { name: 'Ann' },
    });
    assert.equal((await json(a)).msg, 'Hello Ann');
    const form = await post(
      '/rpc',
      `service=greeter&method=Say.Hello&request=${encodeURIComponent('{"name":"Bo"}')}`,
      { 'content-type': 'application/x-www-form-urlencoded' },
    );
    assert.equal((await json(form)).msg, 'Hello Bo');
    const bad = await post('/rpc', { endpoint: 'Say.Hello' });
    assert.equal(bad.status, 400);
    assert.match(String((await json(bad)).detail), /needs "service" and "endpoint"/);
  });

  it('streams over WebSocket on the endpoint path: server, client and bidirectional', async () => {
    const server = await socket(`ws://${gateway.address}/greeter/say/count?n=3`);
    assert.deepEqual(
      server.messages.map((m) => JSON.parse(m) as Json),
      [{ i: 0 }, { i: 1 }, { i: 2 }],
    );
    assert.equal(server.code, 1000);
    const fromMessage = await socket(`ws://${gateway.address}/greeter/say/count`, ['{"n":2}']);
    assert.equal(fromMessage.messages.length, 2);
    const client = await socket(`ws://${gateway.address}/greeter/say/sum`, [
      '{"n":1}',
      '{"n":2}',
      '{"n":4}',
      '',
    ]);
    assert.deepEqual(
      client.messages.map((m) => JSON.parse(m) as Json),
      [{ sum: 7 }],
    );
    const bidi = await socket(`ws://${gateway.address}/greeter/say/shout`, [
      '{"word":"hi"}',
      '{"word":"yo"}',
      '',
    ]);
    assert.deepEqual(
      bidi.messages.map((m) => JSON.parse(m) as Json),
      [{ word: 'HI' }, { word: 'YO' }],
    );
    const unary = await socket(`ws://${gateway.address}/greeter/say/hello`, ['{"name":"Ann"}']);
    assert.equal((JSON.parse(unary.messages[0] ?? '{}') as Json).msg, 'Hello Ann');
  });

  it('ends a failing WebSocket stream with the error JSON and close code 4000 + its code', async () => {
    const bad = await socket(`ws://${gateway.address}/greeter/say/count`, ['{"n":"many"}']);
    assert.equal(bad.code, 4400);
    assert.equal((JSON.parse(bad.messages.at(-1) ?? '{}') as Json).code, 400);
    const garbage = await socket(`ws://${gateway.address}/greeter/say/shout`, ['{not json']);
    assert.equal(garbage.code, 4400);
    const unknown = await refused(`ws://${gateway.address}/greeter/say/nothing`);
    assert.equal(unknown.status, 404);
    assert.match(String(unknown.body.detail), /unknown endpoint Say\.Nothing on greeter/);
  });

  it('serves server streams as server-sent events', async () => {
    const res = await fetch(`${base}/greeter/say/count?n=3`, {
      headers: { accept: 'text/event-stream' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const text = await res.text();
    assert.equal(
      text,
      'data: {"i":0}\n\ndata: {"i":1}\n\ndata: {"i":2}\n\nevent: end\ndata: {}\n\n',
    );
    const post = await fetch(`${base}/greeter/say/count`, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
      body: '{"n":1}',
    });
    assert.equal(await post.text(), 'data: {"i":0}\n\nevent: end\ndata: {}\n\n');
    const failed = await fetch(`${base}/greeter/say/count?n=x`, {
      headers: { accept: 'text/event-stream' },
    });
    assert.equal(
      failed.status,
      400,
      'a failure before the first event is an ordinary error response',
    );
    const plain = await fetch(`${base}/greeter/say/count?n=3`);
    assert.equal(plain.status, 406);
    assert.match(String((await json(plain)).detail), /server stream: ask for text\/event-stream/);
  });

  it('serves an OpenAPI document of the registry that follows services as they come and go', async () => {
    const doc = async (): Promise<{ paths: Record<string, Record<string, Json>> }> =>
      (await (await fetch(`${base}/openapi.json`)).json()) as {
        paths: Record<string, Record<string, Json>>;
      };
    const first = await doc();
    const hello = first.paths['/greeter/say/hello']?.post as Json & { requestBody: Json };
    assert.deepEqual(
      (hello.requestBody.content as Record<string, Json>)['application/json']?.schema,
      {
        type: 'object',
        properties: { name: { type: 'string' } },
        required: ['name'],
      },
    );
    assert.equal(first.paths['/greeter/say/count']?.post?.['x-micro-stream'], 'server');
    assert.ok(first.paths['/users/{id}']?.get, 'declared routes are listed with their method');
    assert.ok(!first.paths['/registry/registry/register'], 'the control plane is not exposed');
    assert.ok(!Object.keys(first.paths).some((p) => p.startsWith('/pets')));

    const pets = (await import('../../src/runtime/index.ts')).createService({
      name: 'pets',
      registry,
      handleSignals: false,
      logger: { info() {}, warn() {}, error() {} },
    });
    pets.handle('Pets', { List: async () => ({ pets: [] }) });
    await pets.start();
    await until(async () => Boolean((await doc()).paths['/pets/pets/list']));
    assert.deepEqual(await json(await post('/pets/pets/list', {})), { pets: [] });
    await pets.stop();
    await until(async () => !(await doc()).paths['/pets/pets/list']);
    assert.equal((await post('/pets/pets/list', {})).status, 404);
  });

  it('answers CORS for the allowed origins only', async () => {
    const preflight = await fetch(`${base}/greeter/say/hello`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'content-type');
    const other = await fetch(`${base}/greeter/say/hello`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(other.status, 403);
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    const allowed = await post(
      '/greeter/say/hello',
      { name: 'Ann' },
      { origin: 'https://app.example' },
    );
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example');
    const denied = await post(
      '/greeter/say/hello',
      { name: 'Ann' },
      { origin: 'https://evil.example' },
    );
    assert.equal(denied.headers.get('access-control-allow-origin'), null);
    const ws = await refused(`ws://${gateway.address}/greeter/say/count?n=1`, {
      origin: 'https://evil.example',
    });
    assert.equal(ws.status, 403, 'a cross-site page may not open a stream');
  });

  it('answers bad input with a structured 4xx and keeps serving', async () => {
    const cases: [string, Promise<Response>, number][] = [
      ['malformed JSON', post('/greeter/say/hello', '{"name":'), 400],
      ['JSON failing the schema', post('/greeter/say/hello', { name: 42 }), 400],
      [
        'wrong content type',
        post('/greeter/say/hello', 'x', { 'content-type': 'text/plain' }),
        415,
      ],
      ['oversized body', post('/greeter/say/hello', { name: 'x'.repeat(2 * 1024 * 1024) }), 413],
      ['unknown service', post('/nothing/say/hello', {}), 404],
      ['unknown endpoint', post('/greeter/say/goodbye', {}), 404],
      ['invalid path', post('/greeter/sa%20y/hello', {}), 400],
      ['service without endpoint', post('/greeter', {}), 404],
      ['denied service', post('/registry/registry/list-services', {}), 404],
      ['wrong method', fetch(`${base}/openapi.json`, { method: 'DELETE' }), 405],
      ['client stream over plain HTTP', post('/greeter/say/sum', {}), 400],
    ];
    for (const [what, response, status] of cases) {
      const res = await response;
      assert.equal(res.status, status, what);
      const body = await json(res);
      assert.equal(body.code, status, what);
      assert.equal(typeof body.id, 'string', what);
      assert.equal(typeof body.detail, 'string', what);
      assert.equal(typeof body.status, 'string', what);
    }
    // A chunked body with no Content-Length is cut off at the limit too.
    let sent = 0;
    const chunked = await fetch(`${base}/greeter/say/hello`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        pull(c) {
          c.enqueue(new Uint8Array(256 * 1024).fill(32));
          if (++sent === 6) c.close();
        },
      }),
      duplex: 'half',
    });
    assert.equal(chunked.status, 413);
    assert.equal(((await chunked.json()) as Json).code, 413);
    // Bytes that are not HTTP at all.
    const raw = connect(Number(gateway.address.split(':')[1]), '127.0.0.1');
    raw.end('NOT HTTP\r\n\r\n');
    let answer = '';
    for await (const c of raw) answer += String(c);
    assert.match(answer, /^HTTP\/1\.1 400/);
    // A client that leaves halfway through its body leaves no request hanging.
    const half = connect(Number(gateway.address.split(':')[1]), '127.0.0.1');
    await new Promise((r) =>
      half.write(
        'POST /greeter/say/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name"',
        r,
      ),
    );
    half.destroy();
    await until(async () =>
      /micro_api_requests_in_flight 1\n/.test(await (await fetch(`${base}/metrics`)).text()),
    );
    assert.equal(
      (await json(await post('/greeter/say/hello', { name: 'still up' }))).msg,
      'Hello still up',
    );
  });

  it('maps micro errors to HTTP statuses with the error JSON as the body', async () => {
    const res = await post('/greeter/say/fail', {});
    assert.equal(res.status, 409);
    assert.deepEqual(await json(res), {
      id: 'greeter',
      code: 409,
      detail: 'that name is taken',
      status: 'Conflict',
    });
  });

  it('passes per-route timeouts on as deadlines; Micro-Timeout can only shorten them', async () => {
    let t0 = Date.now();
    const slow = await post('/greeter/say/slow', {});
    assert.equal(slow.status, 408);
    const took = Date.now() - t0;
    assert.ok(
      took >= 1400 && took < 6000,
      `the endpoint's timeout (1.5 s) applied, not the default 10 s: ${took} ms`,
    );
    t0 = Date.now();
    const shorter = await post('/greeter/say/slow', {}, { 'micro-timeout': '50' });
    assert.equal(shorter.status, 408);
    assert.ok(Date.now() - t0 < 1400, 'Micro-Timeout shortened it');
  });

  it('copies allowed headers and X-Forwarded-* into call metadata, and nothing else', async () => {
    const md = await json(
      await post(
        '/greeter/say/meta',
        {},
        {
          authorization: 'Bearer t',
          'x-request-id': 'r1',
          'x-secret': 'no',
          'x-forwarded-for': '10.0.0.1',
        },
      ),
    );
    assert.equal(md.authorization, 'Bearer t');
    assert.equal(md['x-request-id'], 'r1');
    assert.equal(md['x-forwarded-for'], '10.0.0.1, 127.0.0.1');
    assert.equal(md['x-secret'], undefined);
  });

  it('counts the requests in flight by the endpoint they were resolved to', async () => {
    const series = 'micro_api_endpoint_requests_in_flight{service="greeter",endpoint="Say.Slow"}';
    const scrape = async () => (await fetch(`${base}/metrics`)).text();
    const slow = post('/greeter/say/slow', {});
    await until(async () => (await scrape()).includes(`${series} 1\n`));
    assert.equal((await slow).status, 408);
    assert.ok(!(await scrape()).includes(series), 'gone once it ended');
  });

  it('logs each request and counts it in Prometheus metrics', async () => {
    await post('/greeter/say/hello', { name: 'Ann' });
    const line = logs.findLast((e) => e.url === '/greeter/say/hello' && e.status === 200);
    assert.equal(line?.method, 'POST');
    assert.equal(line?.target, 'greeter Say.Hello');
    assert.equal(line?.ip, '127.0.0.1');
    const res = await fetch(`${base}/metrics`);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    const count =
      /micro_api_requests_total\{handler="rpc",service="greeter",endpoint="Say\.Hello",code="200"\} (\d+)/.exec(
        text,
      );
    assert.ok(Number(count?.[1]) >= 1, text.slice(0, 2000));
    assert.match(
      text,
      /micro_api_request_duration_seconds_bucket\{handler="rpc",service="greeter",le="\+Inf"\} \d+/,
    );
    assert.match(
      text,
      /micro_api_requests_total\{handler="none",service="",endpoint="",code="404"\} \d+/,
    );
    assert.match(text, /process_cpu_user_seconds_total/);
    assert.deepEqual(await json(await fetch(`${base}/`)), { name: 'micro api', version: 'test' });
  });
});

describe('the API gateway with limits and middleware', () => {
  let plane: Awaited<ReturnType<typeof controlPlane>>;
  let service: Service;
  before(async () => {
    plane = await controlPlane();
    service = greeter(plane.registry, '1.0.0');
    await service.start();
  });
  after(() => closeAll(service, plane));

  it('limits each client IP to its rate, answering 429 with Retry-After', async () => {
    const gateway = await createGateway({
      registry: plane.registry,
      address: '127.0.0.1:0',
      rateLimit: 0.2,
      rateBurst: 5,
      log: false,
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await fetch(`http://${gateway.address}/greeter/say/hello?name=a`);
        statuses.push(res.status);
        if (res.status === 429) {
          assert.ok(Number(res.headers.get('retry-after')) >= 1);
          const body = (await res.json()) as Json;
          assert.equal(body.code, 429);
          assert.equal(body.status, 'Too Many Requests');
        } else await res.arrayBuffer();
      }
      assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200]);
      assert.ok(
        statuses.slice(5).every((s) => s === 429),
        statuses.join(' '),
      );
    } finally {
      await gateway.close();
    }
  });

  it('runs middleware before each call: it can refuse with 401 or add metadata', async () => {
    const gateway = await createGateway({
      registry: plane.registry,
      address: '127.0.0.1:0',
      log: false,
      middleware: [
        (req, ctx) => {
          if (ctx.target.kind === 'openapi') return;
          if (req.headers.authorization !== 'Bearer good')
            throw unauthorized('auth', 'a valid token is required');
          ctx.metadata.user = 'ann';
        },
      ],
    });
    const base = `http://${gateway.address}`;
    try {
      const denied = await fetch(`${base}/greeter/say/meta`, { method: 'POST' });
      assert.equal(denied.status, 401);
      assert.deepEqual(await denied.json(), {
        id: 'auth',
        code: 401,
        detail: 'a valid token is required',
        status: 'Unauthorized',
      });
      const ok = await fetch(`${base}/greeter/say/meta`, {
        method: 'POST',
        headers: { authorization: 'Bearer good' },
      });
      assert.equal(((await ok.json()) as Json).user, 'ann');
      assert.equal((await fetch(`${base}/openapi.json`)).status, 200);
      const ws = await refused(`ws://${gateway.address}/greeter/say/count?n=1`);
      assert.equal(ws.status, 401, 'streams pass the middleware too');
      const sse = await fetch(`${base}/greeter/say/count?n=1`, {
        headers: { accept: 'text/event-stream' },
      });
      assert.equal(sse.status, 401);
    } finally {
      await gateway.close();
    }
  });
});

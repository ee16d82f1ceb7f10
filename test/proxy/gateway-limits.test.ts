// The attacks an adversarial probe made on the gateway (issue 12), replayed: each is answered with
// a 4xx in the error shape, quickly, without stalling the process the gateway shares with micro run.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gatewayOptions, type ApiArgs } from '../../src/commands/shared/api-options.ts';
import { createGateway, type Gateway } from '../../src/proxy/index.ts';
import type { Registry, Service } from '../../src/runtime/index.ts';
import { closeAll, postJson, record } from '../helpers/fixtures.ts';
import { maxLoopDelay } from '../helpers/fuzz.ts';
import { controlPlane, greeter, httpApp, users, withRecords } from './fixtures.ts';

type Json = Record<string, unknown>;

const FORM = 'application/x-www-form-urlencoded';

/** Asserts the error shape with the given code; returns the body. */
async function errorOf(res: Response, code: number, what: string): Promise<Json> {
  const text = await res.text();
  assert.equal(res.status, code, `${what}: ${text.slice(0, 300)}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, what);
  const body = JSON.parse(text) as Json;
  assert.equal(body.code, code, what);
  assert.equal(typeof body.id, 'string', what);
  assert.equal(typeof body.detail, 'string', what);
  assert.equal(typeof body.status, 'string', what);
  return body;
}

/** One request over a raw socket; the whole answer as text, once the server closes (halfClose: once we end). */
async function raw(port: number, text: string, halfClose = true): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  if (halfClose) socket.end(text);
  else socket.write(text);
  let answer = '';
  for await (const c of socket) answer += String(c);
  return answer;
}

/** One request with a Host header of our choosing (fetch does not let a caller set it). */
async function withHost(
  address: string,
  host: string,
  path = '/greeter/say/hello?name=Ann',
): Promise<{ status: number; body: string }> {
  const [hostname, port] = address.split(':');
  return new Promise((resolve, reject) => {
    request({ hostname, port: Number(port), path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

/** The shape of an error in a raw HTTP answer, with its status line's code. */
function rawError(answer: string, code: number, what: string): Json {
  assert.match(answer, new RegExp(`^HTTP/1\\.1 ${code} `), `${what}: ${answer.slice(0, 300)}`);
  assert.match(answer, /\r\ncontent-type: application\/json\r\n/i, what);
  const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Json;
  assert.equal(body.code, code, what);
  assert.equal(typeof body.detail, 'string', what);
  return body;
}

describe('the gateway under attack', () => {
  let plane: Awaited<ReturnType<typeof controlPlane>>;
  let registry: Registry;
  const services: Service[] = [];
  let legacy: Awaited<ReturnType<typeof httpApp>>;
  let gateway: Gateway;
  let base = '';
  let port = 0;
  const node = { id: 'n', address: '127.0.0.1:1', metadata: {} };
  const cyclic: Record<string, unknown> = { type: 'object' };
  cyclic.properties = { self: cyclic };
  let deep: Record<string, unknown> = {};
  for (let i = 0; i < 20_000; i++) deep = { items: deep };
  // A route anyone could declare: four rests, which a regex would backtrack over.
  const redos = record('redos', {
    version: '1',
    nodes: [node],
    endpoints: [{ name: 'R.X', metadata: { path: '/{a...}/{b...}/{c...}/{d...}/z' } }],
  });
  // Records another registry might hold; the registry of micro run refuses most of them now.
  const odd: unknown[] = [
    {
      name: 'odd',
      version: '1',
      metadata: {},
      nodes: [node],
      endpoints: [
        { name: 'Odd.Numbers', metadata: { path: 5, method: 7 } },
        { name: 'Odd.Nothing', metadata: null },
        { name: 'Odd.Redos', metadata: { path: '/{a...}/{b...}/{c...}/{d...}/z' } },
        { name: 'Odd.Relative', metadata: { path: 'no/slash', method: 'GET' } },
        { name: 'Odd.Cycle', request: cyclic, response: deep, metadata: { path: '/odd/{x}' } },
        { name: 5, metadata: {} },
        null,
      ],
    },
    {
      name: '<script>alert(1)</script>',
      version: '1',
      metadata: {},
      nodes: [node],
      endpoints: [{ name: 'A.B', metadata: { path: '/x/{__proto__}', method: '__proto__' } }],
    },
    { name: 'nul\u0000name', version: 1, metadata: { handler: 7 }, nodes: [node], endpoints: [] },
    {
      name: 'n'.repeat(10_000),
      version: '1',
      metadata: {},
      nodes: [node],
      endpoints: [{ name: 'e'.repeat(10_000), metadata: {} }],
    },
    { name: 'lists', version: '1', metadata: null, nodes: 'none', endpoints: { a: 1 } },
    { name: 7 },
    null,
    'a string',
  ];

  before(async () => {
    plane = await controlPlane();
    registry = plane.registry;
    services.push(greeter(registry, '1.0.0'), users(registry));
    for (const s of services) await s.start();
    legacy = await httpApp();
    await registry.register(
      record('legacy', {
        version: '1',
        address: legacy.address,
        nodeMetadata: { handler: 'http' },
      }),
    );
    gateway = await createGateway({
      registry: withRecords(registry, [redos]),
      address: '127.0.0.1:0',
      log: false,
    });
    base = `http://${gateway.address}`;
    port = Number(gateway.address.split(':')[1]);
  });
  after(() => closeAll(gateway, ...services, legacy, plane));

  const post = (path: string, body: string, type = 'application/json', headers = {}) =>
    postJson(`${base}${path}`, body, { 'content-type': type, ...headers });
  const hello = async (name: string): Promise<number> => {
    const res = await post('/greeter/say/hello', JSON.stringify({ name }));
    await res.arrayBuffer();
    return res.status;
  };

  it('answers a form of 60,000 fields at once with 413, other calls served meanwhile (it blocked micro run for 20 s)', async () => {
    const attack = `service=greeter&endpoint=Say.Hello&${new Array(60_000).fill('a').join('&')}`;
    const huge = 'a&'.repeat(512 * 1024 - 1); // just under the 1 MiB body limit
    let statuses: number[] = [];
    const stall = await maxLoopDelay(async () => {
      const [rpc, path, big, ...others] = await Promise.all([
        post('/rpc', attack, FORM),
        post('/greeter/say/hello', attack, FORM),
        post('/rpc', huge, FORM),
        hello('a'),
        hello('b'),
        hello('c'),
      ]);
      for (const [what, res] of [
        ['/rpc', rpc],
        ['endpoint path', path],
        ['1 MiB', big],
      ] as const)
        assert.match(String((await errorOf(res, 413, what)).detail), /more than 1000 fields/);
      statuses = others;
    });
    assert.deepEqual(statuses, [200, 200, 200]);
    assert.ok(stall < 200, `the event loop stalled ${stall.toFixed(0)} ms`);
    const query = await fetch(`${base}/greeter/say/hello?${'a&'.repeat(7000)}`);
    assert.match(String((await errorOf(query, 414, 'query')).detail), /more than 1000 fields/);
    assert.equal(await hello('after'), 200);
  });

  it('still reads forms: repeated names give arrays, in linear time', async () => {
    const form = await post('/greeter/say/hello', `name=Cy&${'x=1&'.repeat(999 - 1)}`, FORM);
    assert.equal(form.status, 200);
    assert.equal(((await form.json()) as Json).msg, 'Hello Cy');
  });

  it('matches declared routes without backtracking: a 1 KB path against /{a...}/{b...}/{c...}/{d...}/z (it blocked micro run for 25 s)', async () => {
    const stall = await maxLoopDelay(async () => {
      const many = await fetch(`${base}/${'a/'.repeat(500)}`);
      assert.match(String((await errorOf(many, 414, 'many segments')).detail), /128 segments/);
      // Under the segment limit, still a kilobyte.
      const long = await fetch(`${base}/${'aaaaaaa/'.repeat(120)}`);
      assert.ok([400, 404].includes(long.status), String(long.status));
      await errorOf(long, long.status, 'long path');
      const huge = await fetch(`${base}/${'a'.repeat(9000)}`);
      await errorOf(huge, 414, 'path over 8 KiB');
    });
    assert.ok(stall < 200, `the event loop stalled ${stall.toFixed(0)} ms`);
    assert.equal(await hello('after'), 200);
  });

  it('skips odd registry records: every route and /openapi.json keep working (they answered 500)', async () => {
    const gateway = await createGateway({
      registry: withRecords(registry, odd),
      address: '127.0.0.1:0',
      log: false,
    });
    const base = `http://${gateway.address}`;
    try {
      const hello = await fetch(`${base}/greeter/say/hello?name=Ann`);
      assert.equal(hello.status, 200);
      const user = await fetch(`${base}/users/7`);
      assert.equal(user.status, 200, 'a declared route of a sound service');
      const rpc = await fetch(`${base}/rpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          service: 'greeter',
          endpoint: 'Say.Hello',
          request: { name: 'Bo' },
        }),
      });
      assert.equal(rpc.status, 200);
      const doc = await fetch(`${base}/openapi.json`);
      assert.equal(doc.status, 200);
      assert.equal(doc.headers.get('x-content-type-options'), 'nosniff');
      const paths = ((await doc.json()) as { paths: Record<string, Json> }).paths;
      assert.ok(paths['/greeter/say/hello'], 'sound services are listed');
      assert.ok(paths['/users/{id}']?.get);
      assert.ok(
        !paths['/odd/odd/numbers'],
        'an endpoint whose metadata is not strings is left out',
      );
      assert.ok(paths['/odd/odd/nothing']?.post, 'an odd record keeps what is sound in it');
      assert.ok(
        !Object.keys(paths).some((p) => p.includes('{a}/{b}')),
        'a pattern with two rests is not a route',
      );
      const cycle = paths['/odd/{x}']?.post as { requestBody?: unknown } | undefined;
      assert.ok(cycle, 'a route whose schemas cannot be written keeps its path');
      assert.equal(
        JSON.stringify(cycle.requestBody),
        JSON.stringify({
          required: false,
          content: { 'application/json': { schema: { type: 'object' } } },
        }),
      );
      await errorOf(await fetch(`${base}/%3Cscript%3E/a/b`), 400, 'an odd name by path');
    } finally {
      await gateway.close();
    }
  });

  it('takes Micro-Timeout as milliseconds: huge ones clamp, garbage is a 400 naming the header', async () => {
    const body = JSON.stringify({ name: 'Ann' });
    for (const value of ['abc', '-5', '0', '1e3', ''])
      assert.match(
        String(
          (
            await errorOf(
              await post('/greeter/say/hello', body, undefined, { 'micro-timeout': value }),
              400,
              value,
            )
          ).detail,
        ),
        /Micro-Timeout/,
      );
    for (const value of ['2147483648', '99999999999999'])
      assert.equal(
        (await post('/greeter/say/hello', body, undefined, { 'micro-timeout': value })).status,
        200,
        value,
      );
  });

  it('answers client mistakes with a 4xx in the error shape, never a 500', async () => {
    const nested = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    const rpc = (v: unknown): string =>
      JSON.stringify({ service: 'greeter', endpoint: 'Say.Hello', request: v });
    const cases: [string, () => Promise<Response>, number][] = [
      ['/rpc null', () => post('/rpc', 'null'), 400],
      ['/rpc array', () => post('/rpc', '[{"service":"greeter"}]'), 400],
      ['/rpc string', () => post('/rpc', '"greeter"'), 400],
      ['/rpc no endpoint', () => post('/rpc', '{"service":"greeter"}'), 400],
      ['/rpc number service', () => post('/rpc', '{"service":5,"endpoint":"Say.Hello"}'), 400],
      [
        '/rpc long service',
        () => post('/rpc', JSON.stringify({ service: 's'.repeat(100_000), endpoint: 'A.B' })),
        400,
      ],
      [
        '/rpc long endpoint',
        () => post('/rpc', JSON.stringify({ service: 'greeter', endpoint: 'A.'.repeat(50_000) })),
        400,
      ],
      ['/rpc deep body', () => post('/rpc', nested(100_000)), 400],
      [
        '/rpc deep request',
        () =>
          post('/rpc', `{"service":"greeter","endpoint":"Say.Hello","request":${nested(100_000)}}`),
        400,
      ],
      ['/rpc deep request text', () => post('/rpc', rpc(nested(100_000))), 400],
      [
        '/rpc deep form request',
        () => post('/rpc', `service=greeter&endpoint=Say.Hello&request=${nested(50_000)}`, FORM),
        400,
      ],
      [
        'deep JSON labelled a form',
        () => post('/greeter/say/hello', `{"name":${nested(100_000)}}`, FORM),
        400,
      ],
      [
        'deep JSON with path parameters',
        () =>
          fetch(`${base}/users/7`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: `{"x":${nested(100_000)}}`,
          }),
        400,
      ],
      ['deep event', () => post('/event/events', nested(100_000)), 400],
      ['bad percent-encoding in a parameter', () => fetch(`${base}/users/%E0%A4%A`), 400],
      ['bad percent-encoding in a topic', () => post('/event/%ZZ', '{}'), 400],
      ['bad percent-encoding', () => fetch(`${base}/%`), 400],
      [
        'headers over 16 KiB',
        () => fetch(`${base}/`, { headers: { 'x-big': 'a'.repeat(20_000) } }),
        431,
      ],
    ];
    for (const [what, send, code] of cases) await errorOf(await send(), code, what);
    // Passed on unparsed, deep JSON would reach the service's codec: an echo endpoint was a 500.
    const passed = await post('/greeter/say/hello', `{"name":"a","x":${nested(5000)}}`);
    assert.match(
      String((await errorOf(passed, 400, 'deep JSON passed on')).detail),
      /deeper than 256/,
    );
    assert.equal(await hello('after'), 200);
  });

  it('refuses WebSocket handshakes, CONNECT and unknown Expects with the error JSON, not an empty or text/html answer', async () => {
    const upgrade = (lines: string[]): string => `${lines.join('\r\n')}\r\n\r\n`;
    const ws = [
      'Host: 127.0.0.1',
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
    ];
    const key = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==';
    const cases: [string, string, number][] = [
      ['no key', upgrade(['GET /greeter/say/count HTTP/1.1', ...ws]), 400],
      [
        'not websocket',
        upgrade([
          'GET /greeter/say/count HTTP/1.1',
          'Host: 127.0.0.1',
          'Connection: Upgrade',
          'Upgrade: h2c',
          key,
        ]),
        400,
      ],
      ['POST', upgrade(['POST /greeter/say/count HTTP/1.1', ...ws, key, 'Content-Length: 0']), 405],
      [
        'version 99',
        upgrade([
          'GET /greeter/say/count HTTP/1.1',
          'Host: 127.0.0.1',
          'Connection: Upgrade',
          'Upgrade: websocket',
          'Sec-WebSocket-Version: 99',
          key,
        ]),
        400,
      ],
      ['unknown endpoint', upgrade(['GET /greeter/say/nothing HTTP/1.1', ...ws, key]), 404],
      ['path over the limit', upgrade([`GET /${'a/'.repeat(500)} HTTP/1.1`, ...ws, key]), 414],
      [
        'query over the limit',
        upgrade([`GET /greeter/say/count?${'a&'.repeat(2000)} HTTP/1.1`, ...ws, key]),
        414,
      ],
      ['not HTTP', 'NOT HTTP\r\n\r\n', 400],
      ['CONNECT', 'CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n', 405],
      [
        'Expect',
        'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: nothing\r\nConnection: close\r\n\r\n',
        417,
      ],
    ];
    for (const [what, text, code] of cases) rawError(await raw(port, text), code, what);
    // The gateway answers 100-continue itself; a proxied service is not sent the Expect (it was a 502).
    const proxied = await raw(
      port,
      'POST /legacy/x HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi',
      false,
    );
    assert.match(proxied, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 218 /, proxied);
  });

  it('refuses a Host that is not a loopback name with 421 (DNS rebinding), over HTTP and WebSocket', async () => {
    for (const host of ['evil.example', '127.attacker.example:8080', 'localhost.evil.example']) {
      const res = await withHost(gateway.address, host);
      assert.equal(res.status, 421, host);
      const body = JSON.parse(res.body) as Json;
      assert.equal(body.code, 421);
      assert.match(String(body.detail), /--api-allowed-hosts/);
    }
    for (const host of ['localhost:1', '127.0.0.1', '[::1]:8080', 'api.localhost'])
      assert.equal((await withHost(gateway.address, host)).status, 200, host);
    const answer = await raw(
      port,
      'GET /greeter/say/count?n=1 HTTP/1.1\r\nHost: evil.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    rawError(answer, 421, 'WebSocket');
  });

  it('serves the host names given in allowedHosts (--api-allowed-hosts, MICRO_API_ALLOWED_HOSTS)', async () => {
    const args = {
      apiAddress: '127.0.0.1:0',
      apiHandler: 'rpc',
      apiCors: '',
      apiNamespace: '',
      apiBodyLimit: 1024,
      apiTimeout: '1s',
      apiRetries: 0,
      apiHeaders: '',
      apiRateLimit: 0,
      apiRateBurst: 0,
      apiDeny: '',
      apiLog: false,
      apiAllowedHosts: 'api.example, Other.example',
    } satisfies ApiArgs;
    const options = gatewayOptions(args);
    assert.deepEqual(options.allowedHosts, ['api.example', 'Other.example']);
    const other = await createGateway({ ...options, registry, bodyLimit: 1 << 20 });
    try {
      assert.equal((await withHost(other.address, 'api.example:8080')).status, 200);
      assert.equal((await withHost(other.address, 'other.example')).status, 200);
      assert.equal((await withHost(other.address, 'evil.example')).status, 421);
    } finally {
      await other.close();
    }
  });
});

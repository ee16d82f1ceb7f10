import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMemoryRegistry, serverStream, type Service } from '../../../src/runtime/index.ts';
import { quietService } from '../../helpers/fixtures.ts';
import { isErrorBody, rawExchange, rawRequest } from '../../helpers/raw-http.ts';

const port = (s: Service): number => Number(s.server.address.split(':').pop());

/** A WebSocket handshake's headers, valid unless overridden. */
const wsHeaders = (p: number, extra: Record<string, string> = {}): Record<string, string> => ({
  host: `127.0.0.1:${p}`,
  connection: 'Upgrade',
  upgrade: 'websocket',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'sec-websocket-version': '13',
  'micro-endpoint': 'Count.Up',
  ...extra,
});

// A service port as an attacker on the same machine sees it: raw sockets on 127.0.0.1.
describe('the HTTP side of a service port', () => {
  const registry = createMemoryRegistry();
  let svc: Service;
  let open: Service;
  let p = 0;
  const hello = (headers: Record<string, string> = {}, body = '{"name":"Ann"}'): string =>
    rawRequest(p, { headers: { 'micro-endpoint': 'Say.Hello', ...headers }, body });

  before(async () => {
    const make = (name: string, listen: object): Service => {
      const s = quietService({ name, registry, listen });
      s.handle('Say', {
        async Hello(req: { name: string }) {
          return { msg: `Hello ${req.name}` };
        },
      });
      s.handle('Count', {
        Up: serverStream(async function* (req: { n: number }) {
          for (let i = 0; i < req.n; i++) yield i;
        }),
      });
      return s;
    };
    svc = make('guarded', { headersTimeout: 400, requestTimeout: 800, keepAliveTimeout: 300 });
    open = make('configured', {
      allowedHosts: ['micro.internal'],
      allowedOrigins: ['http://app.example'],
    });
    await svc.start();
    await open.start();
    p = port(svc);
  });
  after(async () => {
    await svc.stop();
    await open.stop();
  });

  it('answers a plain call with 200', async () => {
    const res = await rawExchange(p, [hello()], { untilResponse: true });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { msg: 'Hello Ann' });
  });

  it('closes a slowloris connection after the header timeout, with a 408 in the error shape', async () => {
    // Headers trickled a byte every 50 ms for up to 10 s; the header timeout is 400 ms.
    const trickle = Array.from({ length: 200 }, () => 'x');
    const res = await rawExchange(p, [`POST / HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n`, ...trickle], {
      gapMs: 50,
      waitMs: 8000,
    });
    assert.ok(res.closed, 'the connection is still open');
    assert.ok(res.elapsed < 5000, `closed after ${res.elapsed} ms`);
    assert.equal(res.status, 408);
    assert.ok(isErrorBody(res.body, 408), res.body);
  });

  it('closes a request whose body does not arrive in time, with a 408', async () => {
    const head = rawRequest(p, {
      headers: { 'micro-endpoint': 'Say.Hello', 'content-length': '100' },
    });
    const res = await rawExchange(p, [head, '{"name":'], { waitMs: 8000 });
    assert.ok(res.closed, 'the connection is still open');
    assert.ok(res.elapsed < 5000, `closed after ${res.elapsed} ms`);
    assert.equal(res.status, 408);
    assert.ok(isErrorBody(res.body, 408), res.body);
  });

  it('closes a keep-alive connection left idle', async () => {
    const res = await rawExchange(p, [hello()], { waitMs: 8000 });
    assert.equal(res.status, 200);
    assert.ok(res.closed, 'the idle connection is still open');
    assert.ok(res.elapsed < 5000, `closed after ${res.elapsed} ms`);
  });

  it('refuses a Host that is not a loopback name (DNS rebinding) with 421', async () => {
    for (const host of [`attacker.example:${p}`, `127.attacker.example:${p}`, 'evil']) {
      const res = await rawExchange(p, [hello({ host })], { untilResponse: true });
      assert.equal(res.status, 421, host);
      assert.ok(isErrorBody(res.body, 421), res.body);
      assert.match(res.headers['content-type'] ?? '', /application\/json/);
    }
    for (const host of [`localhost:${p}`, `[::1]:${p}`, `127.0.0.1:${p}`, 'LOCALHOST']) {
      const res = await rawExchange(p, [hello({ host })], { untilResponse: true });
      assert.equal(res.status, 200, host);
    }
  });

  it('refuses a request from another site (an Origin) with 403; programs send none', async () => {
    for (const origin of ['http://attacker.example', 'null', `http://localhost:${p + 1}`]) {
      const res = await rawExchange(p, [hello({ origin })], { untilResponse: true });
      assert.equal(res.status, 403, origin);
      assert.ok(isErrorBody(res.body, 403), res.body);
    }
  });

  it('serves the hosts and origins it is configured to allow', async () => {
    const q = port(open);
    const req = (headers: Record<string, string>): string =>
      rawRequest(q, {
        headers: { 'micro-endpoint': 'Say.Hello', ...headers },
        body: '{"name":"A"}',
      });
    const ok = await rawExchange(
      q,
      [req({ host: `micro.internal:${q}`, origin: 'http://app.example' })],
      { untilResponse: true },
    );
    assert.equal(ok.status, 200);
    const host = await rawExchange(q, [req({ host: `other.internal:${q}` })], {
      untilResponse: true,
    });
    assert.equal(host.status, 421);
    const origin = await rawExchange(q, [req({ origin: 'http://other.example' })], {
      untilResponse: true,
    });
    assert.equal(origin.status, 403);
  });

  it('refuses WebSocket handshakes it will not serve with an HTTP error in the error shape', async () => {
    const cases: [Record<string, string>, number][] = [
      [{ host: 'attacker.example' }, 421],
      [{ origin: 'http://attacker.example' }, 403],
      [{ 'micro-endpoint': '' }, 400],
      [{ 'sec-websocket-key': 'short' }, 400],
      [{ 'sec-websocket-version': '99' }, 426],
    ];
    for (const [extra, code] of cases) {
      const headers = wsHeaders(p, extra);
      if (extra['micro-endpoint'] === '') delete headers['micro-endpoint'];
      const res = await rawExchange(p, [rawRequest(p, { method: 'GET', headers })], {
        untilResponse: true,
      });
      assert.equal(res.status, code, JSON.stringify(extra));
      assert.ok(isErrorBody(res.body, code), `${JSON.stringify(extra)}: ${res.body}`);
      assert.match(res.headers['content-type'] ?? '', /application\/json/);
    }
    const post = await rawExchange(
      p,
      [rawRequest(p, { method: 'POST', headers: wsHeaders(p), body: '{"n":1}' })],
      { untilResponse: true },
    );
    assert.equal(post.status, 405);
    assert.ok(isErrorBody(post.body, 405), post.body);
  });

  it('accepts a valid WebSocket handshake', async () => {
    const res = await rawExchange(p, [rawRequest(p, { method: 'GET', headers: wsHeaders(p) })], {
      waitMs: 500,
    });
    assert.equal(res.status, 101);
  });

  it('serves a call that asks for another protocol (h2c) as a plain call', async () => {
    const res = await rawExchange(
      p,
      [hello({ connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': '' })],
      { untilResponse: true },
    );
    assert.equal(res.status, 200);
  });

  it('answers over-large headers with 431, an over-large body with 413, malformed requests with 400', async () => {
    const big = await rawExchange(p, [hello({ 'x-big': 'y'.repeat(20_000) })], {
      untilResponse: true,
    });
    assert.equal(big.status, 431);
    assert.ok(isErrorBody(big.body, 431), big.body);

    const body = await rawExchange(
      p,
      [rawRequest(p, { headers: { 'micro-endpoint': 'Say.Hello', 'content-length': '99999999' } })],
      { untilResponse: true },
    );
    assert.equal(body.status, 413);
    assert.ok(isErrorBody(body.body, 413), body.body);

    for (const bad of [
      'GARBAGE\r\n\r\n',
      'POST / HTTP/1.1\r\nmicro-endpoint: Say.Hello\r\ncontent-length: 2\r\n\r\n{}',
      `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n{}`,
      `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nbad header\r\n\r\n`,
    ]) {
      const res = await rawExchange(p, [bad], { untilResponse: true });
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.ok(isErrorBody(res.body, 400), `${JSON.stringify(bad)}: ${res.body}`);
    }
    const expect = await rawExchange(p, [hello({ expect: 'the-unexpected' })], {
      untilResponse: true,
    });
    assert.equal(expect.status, 417);
    assert.ok(isErrorBody(expect.body, 417), expect.body);
    const connect = await rawExchange(
      p,
      [`CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n`],
      { untilResponse: true },
    );
    assert.equal(connect.status, 405);
    assert.ok(isErrorBody(connect.body, 405), connect.body);

    const res = await rawExchange(p, [hello()], { untilResponse: true });
    assert.equal(res.status, 200, 'still serving');
  });
});

// Fuzzes the HTTP side of a real service port (what every service and the control plane serve):
// arbitrary methods, header names and values, bodies, Micro-Timeout values, WebSocket handshakes
// and raw bytes. Every answer is a well-formed response, a 4xx in the error shape for bad input,
// never a 5xx; the port still serves a good request afterwards.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  createMemoryRegistry,
  createService,
  serverStream,
  type Service,
} from '../../src/runtime/index.ts';
import { quiet } from '../helpers/fixtures.ts';
import { fc, fuzzParams } from '../helpers/fuzz.ts';
import { parseResponse, rawExchange, rawRequest, type RawResponse } from '../helpers/raw-http.ts';

const NAME = 'fuzzed';

const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,20}$/);
/** Printable header values (tab included), without CR or LF: raw bytes are another property's. */
const value = fc.string({ maxLength: 80 }).map((s) => s.replace(/[^\t\x20-\x7e]/g, ''));

const method = fc.oneof(
  fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'CONNECT'),
  fc.constantFrom('PROPFIND', 'MKCOL', 'LOCK', 'SEARCH', 'QUERY', 'post', 'Get'),
  token,
);

const timeoutValue = fc.oneof(
  fc.constantFrom('2147483648', '99999999999999999999', '1e400', '1e3', '-1', '0', '0.0', ''),
  fc.constantFrom('abc', 'NaN', 'Infinity', ' 5000 ', '5000ms', '0x10', '1.5', '.5', '5.'),
  fc.nat().map(String),
  value,
);

/** Names this port treats specially, and any other token. */
const headerName = fc.oneof(
  fc.constantFrom('micro-service', 'micro-endpoint', 'micro-timeout', 'content-type', 'origin'),
  fc.constantFrom('host', 'expect', 'connection', 'upgrade', 'micro-id', 'micro-error', 'accept'),
  token,
);

const headers = fc.record(
  {
    host: fc.constantFrom('127.0.0.1', 'localhost:1', '[::1]', 'evil.example', '127.evil.example'),
    origin: fc.constantFrom('http://evil.example', 'null', 'http://127.0.0.1', 'garbage'),
    'micro-service': fc.oneof(fc.constant(NAME), value),
    'micro-endpoint': fc.oneof(
      fc.constantFrom('Say.Hello', 'Say.Echo', 'Count.Up', 'Debug.Health', 'Debug.Stats'),
      value,
    ),
    'micro-timeout': timeoutValue,
    'content-type': fc.oneof(
      fc.constantFrom(
        'application/json',
        'application/msgpack',
        'application/x-www-form-urlencoded',
      ),
      fc.constantFrom('text/plain', 'application/json; charset=utf-16', 'multipart/form-data'),
      value,
    ),
    expect: fc.constantFrom('100-continue', 'nope'),
    connection: fc.constantFrom('close', 'keep-alive', 'Upgrade', 'Upgrade, HTTP2-Settings'),
    upgrade: fc.constantFrom('websocket', 'h2c', 'TLS/1.0', ''),
  },
  { requiredKeys: [] },
);

const extra = fc.array(fc.tuple(headerName, value), { maxLength: 6 });

const body = fc.oneof(
  fc.constant(''),
  fc.constantFrom('{"name":"Ann"}', '{"n":3}', 'null', '[]', '{"name":', '{"__proto__":{"x":1}}'),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.integer({ min: 100, max: 5000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
  fc.string({ maxLength: 300 }),
);

/** Asserts an answer is well formed: 1xx/2xx, or a 4xx in the error shape; a 5xx only where allowed. */
function assertWellFormed(res: RawResponse, what: string, allow503 = false, head = false): void {
  assert.ok(res.status > 0, `${what}: no answer (closed: ${res.closed})`);
  if (res.status < 300) return;
  assert.ok(
    res.status < 500 || (allow503 && res.status === 503),
    `${what}: ${res.status} ${res.body}`,
  );
  assert.match(res.headers['content-type'] ?? '', /^application\/json/, `${what}: content type`);
  if (head) return; // a HEAD answer has no body
  const shape = JSON.parse(res.body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(shape).sort(), ['code', 'detail', 'id', 'status'], what);
  assert.equal(shape.code, res.status, what);
  assert.equal(typeof shape.detail, 'string', what);
  assert.equal(typeof shape.status, 'string', what);
}

/** Sends the bytes and half-closes, so an incomplete request is over at once; what came back. */
function sendAndEnd(port: number, bytes: Buffer): Promise<RawResponse> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let closed = false;
    const finish = (): void => {
      clearTimeout(limit);
      socket.destroy();
      const res = parseResponse(received);
      resolve({
        status: res?.status ?? 0,
        headers: res?.headers ?? {},
        body: res?.body ?? '',
        closed,
        elapsed: Date.now() - started,
      });
    };
    const limit = setTimeout(finish, 5000);
    socket.on('data', (c: Buffer) => (received = Buffer.concat([received, c])));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.end(bytes);
  });
}

describe('fuzz: the HTTP side of a service port', () => {
  let svc: Service;
  let port = 0;
  const heapBefore = process.memoryUsage().heapUsed;

  before(async () => {
    svc = createService({
      name: NAME,
      registry: createMemoryRegistry(),
      handleSignals: false,
      logger: quiet,
      // Short, so that requests the fuzzer leaves incomplete end quickly.
      listen: { headersTimeout: 1000, requestTimeout: 1500, keepAliveTimeout: 1000 },
    });
    svc.handle('Say', {
      async Hello(req: { name?: unknown }) {
        return { msg: `Hello ${String(req.name)}` };
      },
      async Echo(req: unknown) {
        return req;
      },
    });
    svc.handle('Count', {
      Up: serverStream(async function* (req: { n?: unknown }) {
        for (let i = 0; i < Math.min(Number(req.n) || 0, 5); i++) yield i;
      }),
    });
    await svc.start();
    port = Number(svc.server.address.split(':').pop());
  });
  after(async () => {
    await svc.stop();
  });

  /** A good call still gets its answer. */
  const stillServes = async (): Promise<void> => {
    const res = await rawExchange(
      port,
      [rawRequest(port, { headers: { 'micro-endpoint': 'Say.Hello' }, body: '{"name":"Ann"}' })],
      { untilResponse: true },
    );
    assert.equal(res.status, 200, `a good call after the fuzzing: ${res.status} ${res.body}`);
    assert.deepEqual(JSON.parse(res.body), { msg: 'Hello Ann' });
  };

  it('answers any request (method, headers, body) well formed, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(method, headers, extra, body, async (m, h, more, b) => {
        const all: Record<string, string> = { ...h };
        // A repeated name is sent once (the last); Content-Length and Transfer-Encoding stay
        // rawRequest's, so that no request waits for a body that never comes.
        for (const [k, v] of more)
          if (!/^(content-length|transfer-encoding)$/i.test(k)) all[k.toLowerCase()] = v;
        if (all.host === undefined) all.host = `127.0.0.1:${port}`;
        const res = await rawExchange(
          port,
          [rawRequest(port, { method: m, headers: all, body: b })],
          {
            untilResponse: true,
            head: m === 'HEAD',
            waitMs: 4000,
          },
        );
        const what = `${m} ${JSON.stringify(all)} ${JSON.stringify(b.slice(0, 80))}`;
        // A call for another service is a 503 by design: the caller's registry entry is stale.
        const other = all['micro-service'] !== undefined && all['micro-service'].trim() !== NAME;
        assertWellFormed(res, what, other, m === 'HEAD');
      }),
      fuzzParams(300, 15_000),
    );
    await stillServes();
  });

  it('answers a Micro-Timeout that is not a positive number with a 400 naming it', async () => {
    await fc.assert(
      fc.asyncProperty(timeoutValue, async (t) => {
        const res = await rawExchange(
          port,
          [
            rawRequest(port, {
              headers: { 'micro-endpoint': 'Say.Echo', 'micro-timeout': t },
              body: '{"ok":true}',
            }),
          ],
          { untilResponse: true, waitMs: 4000 },
        );
        assertWellFormed(res, `Micro-Timeout ${JSON.stringify(t)}`);
        // The parser trims the value; a valid one is a positive decimal (a tiny one may expire: 408).
        const v = t.trim();
        if (/^\d+(\.\d+)?$/.test(v) && Number(v) > 0)
          assert.ok(res.status === 200 || res.status === 408, `${v}: ${res.status} ${res.body}`);
        else {
          assert.equal(res.status, 400, `${JSON.stringify(t)}: ${res.body}`);
          assert.match(res.body, /Micro-Timeout/);
        }
      }),
      fuzzParams(300, 10_000),
    );
    await stillServes();
  });

  it('answers any WebSocket handshake with 101 or an HTTP error in the error shape', async () => {
    const handshake = fc.record(
      {
        connection: fc.constantFrom('Upgrade', 'upgrade', 'keep-alive, Upgrade', 'close'),
        upgrade: fc.constantFrom('websocket', 'WebSocket', 'h2c', 'websocket2', ''),
        'sec-websocket-key': fc.oneof(
          fc.constant('dGhlIHNhbXBsZSBub25jZQ=='),
          fc
            .uint8Array({ minLength: 16, maxLength: 16 })
            .map((k) => Buffer.from(k).toString('base64')),
          value,
        ),
        'sec-websocket-version': fc.constantFrom('13', '8', '99', '', 'abc'),
        'sec-websocket-protocol': fc.constantFrom('a, b', 'a,,b', '@', ''),
        'sec-websocket-extensions': fc.constantFrom('permessage-deflate', ';;', 'x; y="'),
        'micro-endpoint': fc.constantFrom('Count.Up', 'Say.Hello', 'Nope.Nope', ''),
        'micro-timeout': timeoutValue,
        origin: fc.constantFrom('http://evil.example', 'null'),
        host: fc.constantFrom('127.0.0.1', 'localhost', 'evil.example'),
      },
      { requiredKeys: ['connection', 'upgrade'] },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST', 'PUT'), handshake, async (m, h) => {
        const all: Record<string, string> = { ...h };
        if (all.host === undefined) all.host = `127.0.0.1:${port}`;
        const res = await rawExchange(port, [rawRequest(port, { method: m, headers: all })], {
          untilResponse: true,
          waitMs: 4000,
        });
        const what = `${m} ${JSON.stringify(all)}`;
        assertWellFormed(res, what);
        if (res.status === 101) {
          assert.equal(m, 'GET', what);
          assert.equal(all['micro-endpoint'] !== undefined && all.origin === undefined, true, what);
        }
      }),
      fuzzParams(300, 10_000),
    );
    await stillServes();
  });

  it('answers arbitrary bytes and mangled requests well formed, or closes; never 5xx or a hang', async () => {
    const valid = Buffer.from(
      rawRequest(port, { headers: { 'micro-endpoint': 'Say.Echo' }, body: '{"a":1}' }),
    );
    const mangled = fc
      .array(
        fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.boolean()),
        { minLength: 1, maxLength: 8 },
      )
      .map((edits) => {
        const bytes = [...valid];
        for (const [at, byte, insert] of edits) {
          if (insert) bytes.splice(at, 0, byte);
          else bytes[at] = byte;
        }
        return Buffer.from(bytes);
      });
    const bytes = fc.oneof(
      mangled,
      fc.nat({ max: valid.length }).map((n) => valid.subarray(0, n)),
      fc.uint8Array({ minLength: 1, maxLength: 2000 }).map((b) => Buffer.from(b)),
      fc.string({ maxLength: 500 }).map((s) => Buffer.from(`POST / HTTP/1.1\r\n${s}\r\n\r\n`)),
    );
    await fc.assert(
      fc.asyncProperty(bytes, async (b) => {
        // A first byte 0x00 is the framed protocol's: another surface, fuzzed elsewhere.
        if (b.length === 0 || b[0] === 0) return;
        const res = await sendAndEnd(port, b);
        const what = JSON.stringify(b.toString('latin1').slice(0, 200));
        assert.ok(res.closed, `${what}: the connection stayed open`);
        if (res.status !== 0) assertWellFormed(res, what);
      }),
      fuzzParams(400, 15_000),
    );
    await stillServes();
    const grown = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    assert.ok(grown < 200, `heap grew ${grown.toFixed(0)} MiB`);
  });
});

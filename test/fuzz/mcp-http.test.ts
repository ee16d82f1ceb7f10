// Fuzzes `micro mcp serve --http` (listenMcpHttp over the core and resources doubles): arbitrary
// methods, paths, MCP headers (a live session id among them), Origins, Hosts and JSON-RPC-ish
// bodies, and arbitrary bytes around a valid initialize. Every answer is 2xx, or a 4xx in micro's
// error shape or a JSON-RPC error (a 503 only for too many sessions); it still serves afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listenMcpHttp, type McpListener } from '../../src/proxy/mcp/http.ts';
import { fc, fuzzParams, mangled } from '../helpers/fuzz.ts';
import { rawExchange, rawRequest, type RawResponse } from '../helpers/raw-http.ts';
import { initializeRequest, MCP_HEADERS } from '../helpers/mcp-wire.ts';
import { doubleCore, doubleResources } from '../proxy/mcp/doubles.ts';

const INIT = initializeRequest('f');
const value = fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\t\x20-\x7e]/g, ''));

/** Asserts a well-formed answer: 2xx; else JSON, micro's shape or a JSON-RPC error, and no 5xx but a 503. */
function wellFormed(res: RawResponse, what: string, head = false): void {
  assert.ok(res.status > 0 || res.closed, `${what}: no answer`);
  if (res.status === 0 || res.status < 300) return;
  assert.ok(res.status < 500 || res.status === 503, `${what}: ${res.status} ${res.body}`);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/, what);
  if (head) return; // a HEAD answer has no body
  const body = JSON.parse(res.body) as Record<string, unknown>;
  if ('jsonrpc' in body) {
    assert.equal(typeof (body.error as { code?: unknown }).code, 'number', what);
    return;
  }
  assert.deepEqual(Object.keys(body).sort(), ['code', 'detail', 'id', 'status'], what);
  assert.equal(body.code, res.status, what);
}

describe('fuzz: MCP over Streamable HTTP', () => {
  let mcp: McpListener;
  let port = 0;
  let session = '';
  before(async () => {
    mcp = await listenMcpHttp(
      { core: doubleCore(), resources: doubleResources(), version: '0' },
      '127.0.0.1:0',
      { maxSessions: 20, idleTimeout: 200 },
    );
    port = Number(mcp.address.split(':').pop());
    const res = await fetch(`http://${mcp.address}/mcp`, {
      method: 'POST',
      headers: MCP_HEADERS,
      body: JSON.stringify(INIT),
    });
    await res.text();
    session = res.headers.get('mcp-session-id') ?? '';
  });
  after(() => mcp.close());

  const message = fc.oneof(
    fc.constant(INIT),
    fc.record({
      jsonrpc: fc.constantFrom('2.0', '1.0'),
      id: fc.oneof(fc.nat(), value, fc.constant(null)),
      method: fc.constantFrom('tools/list', 'tools/call', 'resources/read', 'ping', 'nope'),
      params: fc.oneof(
        fc.record({ name: fc.constantFrom('greeter.Say.Hello', 'greeter.Say.Fail', 'x') }),
        fc.record({ uri: fc.constantFrom('micro://services', 'micro://nope', '') }),
        fc.record({ cursor: value }),
        fc.jsonValue({ maxDepth: 2 }),
      ),
    }),
  );
  const body = fc.oneof(
    message.map((m) => JSON.stringify(m)),
    fc.array(message, { maxLength: 3 }).map((m) => JSON.stringify(m)),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.constantFrom('', '{', 'null', '[]', '{"__proto__":{"x":1}}'),
    fc.string({ maxLength: 200 }),
  );
  const headers = fc.record(
    {
      'mcp-session-id': fc.oneof(fc.constant('live'), value),
      'mcp-protocol-version': fc.constantFrom('2025-06-18', '2025-11-25', '1999-01-01', ''),
      accept: fc.constantFrom('application/json, text/event-stream', 'text/event-stream', '*/*'),
      'content-type': fc.constantFrom('application/json', 'text/plain', 'application/json; x'),
      origin: fc.constantFrom('http://evil.example', 'null', 'garbage'),
      host: fc.constantFrom('evil.example', 'localhost', '[::1]'),
      authorization: fc.constantFrom('Bearer a', 'Basic x', 'Bearer'),
    },
    { requiredKeys: [] },
  );

  it('answers any request well formed, and still serves an initialize', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST', 'GET', 'DELETE', 'PUT', 'OPTIONS', 'HEAD'),
        fc.constantFrom('/mcp', '/mcp?x=1', '/', '/mcp/x', '/MCP'),
        headers,
        body,
        async (m, path, h, b) => {
          const given: Record<string, string> = { ...h, connection: 'close' };
          if (given['mcp-session-id'] === 'live') given['mcp-session-id'] = session;
          given.host ??= `127.0.0.1:${port}`;
          const res = await rawExchange(
            port,
            [rawRequest(port, { method: m, path, headers: given, body: b })],
            { untilResponse: true, head: m === 'HEAD', waitMs: 4000 },
          );
          wellFormed(res, `${m} ${path} ${JSON.stringify(given)} ${b.slice(0, 80)}`, m === 'HEAD');
        },
      ),
      fuzzParams(300, 20_000),
    );
    // The sessions it opened go idle and are closed: there is room for a new one.
    for (let i = 0; i < 300 && mcp.sessions() >= 20; i++)
      await new Promise((r) => setTimeout(r, 10));
    const res = await fetch(`http://${mcp.address}/mcp`, {
      method: 'POST',
      headers: MCP_HEADERS,
      body: JSON.stringify(INIT),
    });
    assert.equal(res.status, 200);
    await res.text();
  });

  it('answers arbitrary bytes around a valid initialize well formed, or closes', async () => {
    const valid = rawRequest(port, {
      method: 'POST',
      path: '/mcp',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        connection: 'close',
      },
      body: JSON.stringify(INIT),
    });
    await fc.assert(
      fc.asyncProperty(mangled(valid), async (chunk) => {
        const res = await rawExchange(port, [chunk], { untilResponse: true, end: true });
        wellFormed(res, JSON.stringify(chunk.toString('latin1').slice(0, 80)));
      }),
      fuzzParams(300, 20_000),
    );
  });
});

// Fuzzes the dashboard's JSON routes (/_/api/...) over HTTP: arbitrary methods, paths, headers,
// content types and bodies, the call form's and the terminal's included. Only well-formed answers:
// 4xx in the error shape (`{error: {id, code, detail, status}}` under /_/api, as the pages read it),
// no 5xx, and the dashboard still serves a good call afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTerminal } from '../../src/commands/shared/terminal.ts';
import {
  createClient,
  createMemoryRegistry,
  type Client,
  type Registry,
  type Service,
} from '../../src/runtime/index.ts';
import { buildTools } from '../../src/proxy/mcp/tools.ts';
import { startWeb, type Web } from '../../src/ui/web/index.ts';
import { closeAll, greeterService, postJson } from '../helpers/fixtures.ts';
import { fc } from '../helpers/fuzz.ts';
import { fuzzBytes, fuzzRequests } from '../helpers/fuzz-http.ts';
import type { RawResponse } from '../helpers/raw-http.ts';

const name = fc.oneof(
  fc.constantFrom('greeter', 'Say.Hello', 'Say.Nope', 'Debug.Health', 'nobody', '', '..'),
  fc.constantFrom('%E0%A4%A', '%00', 'a%2Fb', '%2e%2e'),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);

const path = fc.oneof(
  fc.constantFrom('/_/api/services', '/_/api/call', '/_/api/terminal', '/_/api/health'),
  fc.constantFrom('/_/api/service', '/_/api/', '/_/api', '/_/api/events?x=1', '/_/static/x.js'),
  name.map((n) => `/_/api/service?name=${n}`),
  name.map((n) => `/_/api/health?service=${n}`),
  fc.constantFrom('/_/api/service?name=a&name=b', '/_/api/health?service=a&service=b'),
  fc
    .tuple(name, name, name)
    .map(([p, a, l]) => `/_/api/services?summary&prefix=${p}&after=${a}&limit=${l}`),
  fc.constantFrom('/_/api/services?summary&limit=1&limit=2', '/_/api/services?summary=0&limit=9'),
  fc.array(name, { maxLength: 5 }).map((s) => `/_/api/${s.join('/')}`),
  name.map((n) => `/_/api/mcp/tool?name=${n}`),
  fc.tuple(name, name).map(([t, l]) => `/_/api/mcp/tools?text=${t}&limit=${l}`),
  fc.oneof(
    fc.constant('/_/api/bot/status'),
    name.map((n) => `/_/api/bot/status?${n}=${n}`),
  ),
);

const value = fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''));

const headers = fc.record(
  {
    'content-type': fc.oneof(
      fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain'),
      fc.constantFrom(
        'application/json; charset=utf-16',
        'application/json;',
        'multipart/form-data',
      ),
      value,
    ),
    origin: fc.constantFrom('http://evil.example', 'null', 'garbage'),
    host: fc.constantFrom('evil.example', '127.attacker.example:1', 'localhost', '[::1]', ''),
    'if-none-match': value,
    upgrade: fc.constantFrom('websocket', ''),
    'x-fuzz': value,
  },
  { requiredKeys: [] },
);

/** Command lines for the terminal: its commands with arbitrary arguments, and anything else. */
const line = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('call', 'list', 'get', 'health', 'help', 'kill', 'run', 'clear', ''),
      fc.array(
        fc.oneof(
          name,
          fc.constantFrom('-d', '-t', '-m', '-o', 'json', '1e400', "'", '"', '\\', 'services'),
          fc.jsonValue({ maxDepth: 3 }).map((v) => `'${JSON.stringify(v)}'`),
        ),
        { maxLength: 6 },
      ),
    )
    .map(([c, args]) => [c, ...args].join(' ')),
  fc.string({ maxLength: 100 }),
);

const body = fc.oneof(
  fc.constant(''),
  fc
    .record(
      {
        service: fc.oneof(fc.constantFrom('greeter', 'nobody', ''), fc.jsonValue()),
        endpoint: fc.oneof(
          fc.constantFrom('Say.Hello', 'Say.Nope', 'Debug.Health'),
          fc.jsonValue(),
        ),
        request: fc.oneof(fc.record({ name: fc.string() }), fc.jsonValue({ maxDepth: 3 })),
        version: fc.oneof(fc.constantFrom('1.0.0', '2.0.0', ''), fc.jsonValue()),
      },
      { requiredKeys: [] },
    )
    .map((b) => JSON.stringify(b)),
  fc
    .record({ line: fc.oneof(line, fc.jsonValue()) }, { requiredKeys: [] })
    .map((b) => JSON.stringify(b)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.integer({ min: 200, max: 20_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
  fc.constantFrom('null', '{"service":', 'service=greeter&endpoint=Say.Hello'),
  fc.string({ maxLength: 200 }),
);

const method = fc.oneof(
  fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'),
  fc.stringMatching(/^[A-Z]{1,10}$/),
);

const SHAPE = ['code', 'detail', 'id', 'status'];

/** Asserts an answer is well formed: 2xx, 3xx, 101, or a 4xx whose body is the error shape (bare or as `error`). */
function assertWellFormed(res: RawResponse, what: string): void {
  assert.ok(res.status > 0, `${what}: no answer`);
  assert.ok(res.status < 500, `${what}: ${res.status} ${res.body}`);
  if (res.status < 400) return;
  assert.match(res.headers['content-type'] ?? '', /^application\/json/, `${what}: content type`);
  const body = JSON.parse(res.body) as Record<string, unknown>;
  const shape = (SHAPE.every((k) => k in body) ? body : body.error) as Record<string, unknown>;
  assert.ok(shape && typeof shape === 'object', `${what}: ${res.body}`);
  assert.deepEqual(Object.keys(shape).sort(), SHAPE, what);
  assert.equal(shape.code, res.status, what);
}

describe("fuzz: the dashboard's /_/api routes", () => {
  let registry: Registry;
  let client: Client;
  let greeter: Service;
  let web: Web;
  let port = 0;

  before(async () => {
    registry = createMemoryRegistry();
    client = createClient({ registry });
    greeter = greeterService(registry);
    await greeter.start();
    web = await startWeb({
      address: '127.0.0.1:0',
      registry,
      client,
      terminal: createTerminal({ registry, client }),
      mcp: { tools: (services) => buildTools(services).tools },
    });
    port = Number(web.address.split(':')[1]);
  });
  after(() => closeAll(web, greeter, client, registry));

  it('answers any request with a well-formed answer and never a 5xx', async () => {
    await fuzzRequests(port, { method, path, headers, body }, assertWellFormed);
  });

  it('answers arbitrary bytes and mangled requests with an error in the shape, or closes', async () => {
    await fuzzBytes(port, '/_/api/call', assertWellFormed);
  });

  it('still serves a good call afterwards', async () => {
    const res = await postJson(`http://${web.address}/_/api/call`, {
      service: 'greeter',
      endpoint: 'Say.Hello',
      request: { name: 'Ann' },
    });
    assert.deepEqual(((await res.json()) as { response: unknown }).response, { msg: 'Hello Ann' });
  });
});

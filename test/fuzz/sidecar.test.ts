// Fuzzes a real sidecar over HTTP, in front of a real control plane with its runtime service:
// arbitrary methods, paths (the Dapr routes included), headers, content types and bodies, and
// arbitrary bytes. Only well-formed answers, 4xx in the error shape, no 5xx, no process started,
// and the sidecar still serves a good request afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postJson } from '../helpers/fixtures.ts';
import { fc } from '../helpers/fuzz.ts';
import { fuzzBytes, fuzzRequests } from '../helpers/fuzz-http.ts';
import type { RawResponse } from '../helpers/raw-http.ts';
import { startSidecarBench, type SidecarBench } from '../proxy/sidecar-fixture.ts';

/** Names a request may give: the control plane's, the greeter's, and anything else. */
const name = fc.oneof(
  fc.constantFrom('greeter', 'runtime', 'registry', 'Say.Hello', 'Runtime.Create', 'Runtime.List'),
  fc.constantFrom('Registry.Deregister', 'Say.Nope', '..', '%2e%2e', '%E0%A4%A', '%00', 'a%2Fb'),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
  fc.string({ minLength: 101, maxLength: 300 }).map(encodeURIComponent),
);

/** A query string, sometimes. */
const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom('?service=greeter', '?service=a&service=b', '?ttl=30', '?ttl=-1', '?ttl=1e400'),
  fc.constantFrom('?topic=t', '?topic=', '?ttl=abc', '?%zz=1'),
  fc.string({ maxLength: 30 }).map((s) => `?${encodeURIComponent(s)}=${encodeURIComponent(s)}`),
);

/** Paths: every route of the sidecar, the Dapr ones included, and others. */
const path = fc
  .tuple(
    fc.oneof(
      fc.constantFrom('/rpc', '/registry', '/health', '/v1.0/healthz', '/broker', '/', '/*'),
      fc.tuple(name, name).map(([a, m]) => `/v1.0/invoke/${a}/method/${m}`),
      fc.tuple(name, name).map(([p, t]) => `/v1.0/publish/${p}/${t}`),
      name.map((t) => `/publish/${t}`),
      fc.tuple(name, name).map(([s, e]) => `/${s}/${e}`),
      fc.array(name, { maxLength: 6 }).map((segments) => `/${segments.join('/')}`),
    ),
    query,
  )
  .map(([p, q]) => p + q);

/** Printable header values, without CR or LF (raw bytes are the other property's). */
const value = fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''));

const headers = fc.record(
  {
    'content-type': fc.oneof(
      fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain'),
      fc.constantFrom('application/json; charset=utf-16', 'multipart/form-data', 'application/'),
      value,
    ),
    origin: fc.constantFrom('http://evil.example', 'null', 'http://localhost:1', 'garbage'),
    host: fc.constantFrom('evil.example', '127.attacker.example:1', 'localhost', '[::1]', ''),
    'micro-timeout': fc.oneof(
      fc.constantFrom('2147483648', '1e400', '-1', '0', 'abc', '99999999999999999999'),
      fc.nat().map(String),
    ),
    'sec-fetch-site': fc.constantFrom('cross-site', 'same-site', 'same-origin', 'none'),
    authorization: value.map((v) => `Bearer ${v}`),
    'dapr-api-token': value,
    upgrade: fc.constantFrom('websocket', 'h2c', ''),
    'x-fuzz': value,
  },
  { requiredKeys: [] },
);

/** A call of the control plane's or the greeter's endpoints, as /rpc takes it. */
const rpcBody = fc
  .record(
    {
      service: fc.oneof(fc.constantFrom('greeter', 'runtime', 'registry'), fc.jsonValue()),
      endpoint: fc.oneof(
        fc.constantFrom('Say.Hello', 'Runtime.Create', 'Registry.Deregister'),
        fc.jsonValue(),
      ),
      request: fc.oneof(
        fc.constant({ name: 'evil', path: '/tmp/evil.ts' }),
        fc.jsonValue({ maxDepth: 3 }),
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      ),
    },
    { requiredKeys: [] },
  )
  .map((b) => JSON.stringify(b));

/** A service record for /registry, under names no call goes to (`fz-...`). */
const record = fc
  .record(
    {
      name: fc.oneof(fc.constantFrom('fz-a', 'runtime', 'registry'), fc.jsonValue()),
      version: fc.oneof(fc.string({ maxLength: 8 }), fc.jsonValue()),
      metadata: fc.oneof(fc.dictionary(fc.string({ maxLength: 5 }), fc.string()), fc.jsonValue()),
      endpoints: fc.oneof(
        fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
        fc.jsonValue(),
      ),
      nodes: fc.oneof(
        fc.array(
          fc.record({ id: fc.string({ maxLength: 8 }), address: fc.constant('127.0.0.1:1') }),
          { maxLength: 3 },
        ),
        fc.jsonValue(),
      ),
    },
    { requiredKeys: [] },
  )
  .map((r) => {
    const name =
      typeof r.name === 'string' && !/^(runtime|registry)$/.test(r.name) ? `fz-${r.name}` : r.name;
    return JSON.stringify({ ...r, name });
  });

const body = fc.oneof(
  fc.constant(''),
  rpcBody,
  record,
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.integer({ min: 200, max: 20_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
  fc.constantFrom(
    'service=runtime&endpoint=Runtime.Create&request={"name":"evil","path":"/tmp/evil.ts"}',
    'name=evil&path=/tmp/evil.ts',
    'a=&'.repeat(5000),
    'null',
    '{"service":',
  ),
  fc.string({ maxLength: 200 }),
);

const method = fc.oneof(
  fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
  fc.stringMatching(/^[A-Z]{1,10}$/),
);

/** Asserts an answer is well formed: 2xx with JSON (or no body), 101 for a socket, or a 4xx in the error shape. */
function assertWellFormed(res: RawResponse, what: string): void {
  assert.ok(res.status > 0 || res.closed, `${what}: no answer and the connection stayed open`);
  if (res.status === 0 || res.status === 101) return;
  assert.ok(res.status < 500, `${what}: ${res.status} ${res.body}`);
  if (res.status < 300) {
    if (res.body !== '') JSON.parse(res.body);
    return;
  }
  assert.match(res.headers['content-type'] ?? '', /^application\/json/, `${what}: content type`);
  const shape = JSON.parse(res.body) as Record<string, unknown>;
  // Dapr's paths add Dapr's own {errorCode, message} to the shape, for Dapr's clients.
  const dapr = / \/v1\.0\//.test(what) && 'errorCode' in shape;
  assert.deepEqual(
    Object.keys(shape).sort(),
    dapr
      ? ['code', 'detail', 'errorCode', 'id', 'message', 'status']
      : ['code', 'detail', 'id', 'status'],
    what,
  );
  if (dapr) assert.equal(shape.message, shape.detail, what);
  assert.equal(shape.code, res.status, what);
  assert.equal(typeof shape.detail, 'string', what);
}

describe('fuzz: the sidecar over HTTP', () => {
  let bench: SidecarBench;
  let port = 0;

  before(async () => {
    bench = await startSidecarBench({ controlPlane: true, validated: true });
    port = Number(bench.sidecar.address.split(':')[1]);
  });
  after(() => bench.close());

  it('answers any request with a well-formed answer, never a 5xx, and starts no process', async () => {
    await fuzzRequests(port, { method, path, headers, body }, assertWellFormed);
    assert.deepEqual(await bench.processes(), [], 'no process was started');
  });

  it('answers arbitrary bytes and mangled requests with an error in the shape, or closes', async () => {
    await fuzzBytes(port, '/rpc', assertWellFormed);
  });

  it('still serves a good request afterwards', async () => {
    const res = await postJson(`${bench.base}/greeter/Say.Hello`, '{"name":"Ann"}');
    assert.deepEqual(await res.json(), { msg: 'Hello Ann' });
    assert.deepEqual(await bench.processes(), []);
  });
});

// Fuzzes the sidecar's Dapr building blocks over HTTP, on a real control plane's store, config and
// sync: arbitrary methods, Dapr paths, store names, query metadata, content types and Dapr-shaped
// bodies. Only well-formed answers: 2xx JSON (or none), or a 4xx whose body has micro's error shape
// (and Dapr's errorCode and message when it has them); never a 5xx; and good calls work afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fc } from '../helpers/fuzz.ts';
import { fuzzRequests } from '../helpers/fuzz-http.ts';
import type { RawResponse } from '../helpers/raw-http.ts';
import { startDaprBench, type DaprBench } from '../proxy/dapr-fixture.ts';

const name = fc.oneof(
  fc.constantFrom('statestore', 'configstore', 'lockstore', 'a.b-c_d', '..', '%2e', 'a%2Fb'),
  fc.constantFrom('%00', '%E0%A4%A', 'bulk', 'transaction', 'subscribe', 'k||k'),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
  fc.string({ minLength: 129, maxLength: 300 }).map(encodeURIComponent),
);

const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom('?metadata.ttlInSeconds=60', '?metadata.ttlInSeconds=-1', '?key=a&key=b'),
  fc.constantFrom(
    '?metadata.ttlInSeconds=abc',
    '?metadata.a=1&metadata.a=2',
    '?key=',
    '?key=a%20b',
  ),
  fc.constantFrom('?concurrency=first-write', '?consistency=strong', '?concurrency=x', '?%zz=1'),
  fc.string({ maxLength: 30 }).map((s) => `?${encodeURIComponent(s)}=${encodeURIComponent(s)}`),
);

const path = fc
  .tuple(
    fc.oneof(
      fc.constantFrom('/v1.0/metadata', '/v1.0/healthz/outbound', '/v1.0/state'),
      name.map((s) => `/v1.0/state/${s}`),
      fc.tuple(name, name).map(([s, k]) => `/v1.0/state/${s}/${k}`),
      name.map((s) => `/v1.0/configuration/${s}`),
      name.map((s) => `/v1.0-alpha1/configuration/${s}/subscribe`),
      fc.tuple(name, name).map(([s, i]) => `/v1.0/configuration/${s}/${i}/unsubscribe`),
      fc.tuple(fc.constantFrom('lock', 'unlock'), name).map(([v, s]) => `/v1.0-alpha1/${v}/${s}`),
      name.map((a) => `/v1.0/metadata/${a}`),
    ),
    query,
  )
  .map(([p, q]) => p + q);

const loose = fc.jsonValue({ maxDepth: 3 });
const item = fc.record(
  {
    key: fc.oneof(fc.constantFrom('a', 'b', '', 'k||k', 'x'.repeat(1100)), loose),
    value: loose,
    etag: fc.oneof(fc.constantFrom('1', 'stale', ''), fc.constant({ value: '1' }), loose),
    metadata: fc.oneof(fc.constant({ ttlInSeconds: '5' }), fc.constant({ ttlInSeconds: 5 }), loose),
    options: fc.oneof(
      fc.constant({ concurrency: 'first-write' }),
      fc.constant({ concurrency: 'last-write', consistency: 'strong' }),
      loose,
    ),
    extra: loose,
  },
  { requiredKeys: [] },
);

const body = fc.oneof(
  fc.constant(''),
  fc.array(item, { maxLength: 4 }).map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        keys: fc.oneof(
          fc.array(fc.oneof(fc.string({ maxLength: 5 }), loose), { maxLength: 4 }),
          loose,
        ),
        parallelism: loose,
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        operations: fc.oneof(
          fc.array(
            fc.record(
              { operation: fc.oneof(fc.constantFrom('upsert', 'delete'), loose), request: item },
              { requiredKeys: [] },
            ),
            { maxLength: 4 },
          ),
          loose,
        ),
        metadata: loose,
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        resourceId: fc.oneof(fc.constantFrom('r', ''), loose),
        lockOwner: fc.oneof(fc.constantFrom('o', 'p'), loose),
        expiryInSeconds: fc.oneof(fc.constantFrom(1, 30, 0, -1, 1.5, '10'), loose),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  loose.map((v) => JSON.stringify(v)),
  fc.integer({ min: 200, max: 5000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
  fc.string({ maxLength: 200 }),
);

const headers = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/json',
      'text/plain',
      'application/cloudevents+json',
      'application/x-www-form-urlencoded',
      'application/octet-stream',
    ),
    'if-match': fc.oneof(fc.constantFrom('1', 'stale', ''), fc.string({ maxLength: 10 })),
  },
  { requiredKeys: [] },
);

const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH');

/** 2xx with JSON or nothing, or a 4xx in micro's error shape (with Dapr's fields when present). */
function assertWellFormed(res: RawResponse, what: string): void {
  assert.ok(res.status > 0, `${what}: no answer`);
  assert.ok(res.status < 500, `${what}: ${res.status} ${res.body}`);
  if (res.status < 300) {
    if (res.body !== '') JSON.parse(res.body);
    return;
  }
  const shape = JSON.parse(res.body) as Record<string, unknown>;
  const keys = Object.keys(shape).sort();
  if (keys.length === 4) assert.deepEqual(keys, ['code', 'detail', 'id', 'status'], what);
  else {
    assert.deepEqual(keys, ['code', 'detail', 'errorCode', 'id', 'message', 'status'], what);
    assert.equal(shape.message, shape.detail, what);
  }
  assert.equal(shape.code, res.status, what);
}

describe("fuzz: the sidecar's Dapr building blocks", () => {
  let b: DaprBench;
  before(async () => {
    b = await startDaprBench();
  });
  after(() => b.close());

  it('answers any Dapr request with a well-formed answer, never a 5xx', async () => {
    const port = Number(new URL(b.base).port);
    await fuzzRequests(port, { method, path, headers, body }, assertWellFormed);
  });

  it('still saves, reads and locks afterwards', async () => {
    const saved = await b.dapr('POST', '/v1.0/state/after', [{ key: 'k', value: 1 }]);
    assert.equal(saved.status, 204);
    assert.equal(await (await b.dapr('GET', '/v1.0/state/after/k')).text(), '1');
    const lock = { resourceId: 'after', lockOwner: 'me', expiryInSeconds: 5 };
    const res = await b.dapr('POST', '/v1.0-alpha1/lock/after', lock);
    assert.deepEqual(await res.json(), { success: true });
  });
});

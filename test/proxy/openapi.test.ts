import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createGateway, openApiDocument, type Gateway } from '../../src/proxy/index.ts';
import type { Service as ServiceRecord } from '../../src/registry/registry.ts';
import { createMemoryRegistry } from '../../src/runtime/index.ts';
import { closeAll, nameSchema, record } from '../helpers/fixtures.ts';
import { fc, fuzzParams } from '../helpers/fuzz.ts';
import { openApiProblems } from './openapi-check.ts';

type Json = Record<string, unknown>;
type Doc = { info: Json; paths: Record<string, Record<string, Json>>; tags: Json[] };

/** A service of two endpoints, one of them also on a declared route. */
const service = (name: string, extra: ServiceRecord['endpoints'] = []): ServiceRecord =>
  record(name, {
    endpoints: [
      { name: 'Say.Hello', request: nameSchema, metadata: {} },
      { name: 'Items.Get', metadata: { method: 'GET', path: `/${name}/items/{id}` } },
      ...extra,
    ],
  });

/** Resolves once check() is true, checking every 20 ms for at most 5 s: for state only visible by asking. */
async function until(check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met within 5 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("the gateway's OpenAPI documents", () => {
  const registry = createMemoryRegistry();
  let gateway: Gateway;
  let second: Gateway;
  let base = '';
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { headers });
  const doc = async (path: string): Promise<Doc> => {
    const res = await get(path);
    assert.equal(res.status, 200, `${path}: ${res.status}`);
    return (await res.json()) as Doc;
  };
  /** The services whose operations a document holds. */
  const servicesIn = (d: Doc): string[] =>
    [
      ...new Set(
        Object.values(d.paths).flatMap((item) =>
          Object.values(item).map((op) => String(op['x-micro-service'])),
        ),
      ),
    ].sort();

  before(async () => {
    for (const name of ['alpha', 'beta', 'beta-two', 'gamma'])
      await registry.register(service(name));
    await registry.register(record('site', { nodeMetadata: { handler: 'web' } }));
    gateway = await createGateway({ registry, address: '127.0.0.1:0', log: false });
    second = await createGateway({ registry, address: '127.0.0.1:0', log: false });
    base = `http://${gateway.address}`;
  });
  after(() => closeAll(gateway, second, registry));

  it('serves the whole document, valid, with a tag per service naming its own document', async () => {
    const full = await doc('/openapi.json');
    assert.deepEqual(openApiProblems(full), []);
    assert.deepEqual(servicesIn(full), ['alpha', 'beta', 'beta-two', 'gamma']);
    assert.deepEqual(
      full.tags.map((t) => [t.name, t['x-micro-openapi']]),
      [
        ['alpha', '/openapi.json?service=alpha'],
        ['beta', '/openapi.json?service=beta'],
        ['beta-two', '/openapi.json?service=beta-two'],
        ['gamma', '/openapi.json?service=gamma'],
      ],
    );
    assert.deepEqual(
      full,
      JSON.parse(
        JSON.stringify(
          openApiDocument(await registry.listServices(), {
            namespace: '',
            deny: [],
            version: (full.info as { version: string }).version,
          }),
        ),
      ),
      'the cached document is the one openApiDocument builds',
    );
  });

  it('serves one service: valid, holding only its own paths', async () => {
    const full = await doc('/openapi.json');
    for (const path of ['/openapi.json?service=beta', '/openapi/beta.json']) {
      const one = await doc(path);
      assert.deepEqual(openApiProblems(one), [], path);
      assert.deepEqual(servicesIn(one), ['beta'], path);
      assert.deepEqual(Object.keys(one.paths).sort(), [
        '/beta/items/get',
        '/beta/items/{id}',
        '/beta/say/hello',
      ]);
      for (const [p, item] of Object.entries(one.paths)) assert.deepEqual(item, full.paths[p]);
      assert.deepEqual(
        one.tags.map((t) => t.name),
        ['beta'],
      );
    }
    const prefixed = await doc('/openapi.json?prefix=beta');
    assert.deepEqual(openApiProblems(prefixed), []);
    assert.deepEqual(servicesIn(prefixed), ['beta', 'beta-two']);
  });

  it('answers 404 for a service it does not document, and 400 for a bad parameter', async () => {
    for (const [path, status, detail] of [
      ['/openapi.json?service=nope', 404, /no service "nope"/],
      ['/openapi/nope.json', 404, /no service "nope"/],
      ['/openapi.json?service=site', 404, /no service "site"/],
      ['/openapi.json?service=a&service=b', 400, /service is given more than once/],
      ['/openapi.json?service=', 400, /service is empty/],
      ['/openapi.json?service=alpha&prefix=a', 400, /not both/],
      ['/openapi.json?servce=alpha', 400, /unknown parameter "servce"/],
      [`/openapi.json?service=${'x'.repeat(300)}`, 400, /longer than 256/],
      ['/openapi/%E0%A4%A.json', 400, /invalid service name/],
      ['/openapi/alpha.json?service=beta', 400, /takes no parameters/],
    ] as const) {
      const res = await get(path);
      assert.equal(res.status, status, path);
      const body = (await res.json()) as Json;
      assert.deepEqual(Object.keys(body).sort(), ['code', 'detail', 'id', 'status'], path);
      assert.equal(body.code, status);
      assert.match(String(body.detail), detail, path);
    }
  });

  it('answers If-None-Match with 304 while the document is unchanged; any gateway gives the same tag', async () => {
    for (const path of ['/openapi.json', '/openapi.json?service=gamma', '/openapi.json?prefix=b']) {
      const first = await get(path);
      const etag = first.headers.get('etag') ?? '';
      assert.match(etag, /^"[\w-]+"$/, path);
      await first.arrayBuffer();
      const again = await get(path, { 'if-none-match': etag });
      assert.equal(again.status, 304, path);
      assert.equal(again.headers.get('etag'), etag);
      assert.equal(await again.text(), '');
      const other = await fetch(`http://${second.address}${path}`);
      assert.equal(other.headers.get('etag'), etag, `${path} on another gateway`);
      await other.arrayBuffer();
      const head = await fetch(`${base}${path}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('etag'), etag, `${path}: HEAD tells the same tag`);
      const stale = await get(path, { 'if-none-match': '"something-else"' });
      assert.equal(stale.status, 200);
      await stale.arrayBuffer();
    }
  });

  it('follows registrations and deregistrations: the document, its tag and the per-service one change', async () => {
    const before = await get('/openapi.json');
    const etag = before.headers.get('etag') ?? '';
    await before.arrayBuffer();
    const gammaTag = (await get('/openapi.json?service=gamma')).headers.get('etag');
    await registry.register(service('delta'));
    await until(async () => servicesIn(await doc('/openapi.json')).includes('delta'));
    const changed = await get('/openapi.json', { 'if-none-match': etag });
    assert.equal(changed.status, 200, 'the old tag no longer matches');
    assert.notEqual(changed.headers.get('etag'), etag);
    assert.ok(((await changed.json()) as Doc).paths['/delta/say/hello']);
    assert.deepEqual(servicesIn(await doc('/openapi/delta.json')), ['delta']);
    assert.equal(
      (await get('/openapi.json?service=gamma')).headers.get('etag'),
      gammaTag,
      "another service's document is unchanged",
    );

    await registry.deregister(service('delta'));
    await until(async () => !servicesIn(await doc('/openapi.json')).includes('delta'));
    assert.equal((await get('/openapi.json?service=delta')).status, 404);
    const back = await get('/openapi.json');
    assert.equal(back.headers.get('etag'), etag, 'the same document as before, the same tag');
    await back.arrayBuffer();
  });

  it('merges a path two services declare, and follows a changed record', async () => {
    const shared = (name: string, method: string): ServiceRecord =>
      record(name, {
        endpoints: [{ name: 'Files.Get', metadata: { method, path: '/files/{id}' } }],
      });
    await registry.register(shared('files-a', 'GET'));
    await registry.register(shared('files-b', 'DELETE'));
    await until(
      async () => Object.keys((await doc('/openapi.json')).paths['/files/{id}'] ?? {}).length === 2,
    );
    const full = await doc('/openapi.json');
    assert.deepEqual(openApiProblems(full), []);
    assert.equal(full.paths['/files/{id}']?.get?.['x-micro-service'], 'files-a');
    assert.equal(full.paths['/files/{id}']?.delete?.['x-micro-service'], 'files-b');
    assert.deepEqual(Object.keys((await doc('/openapi/files-b.json')).paths['/files/{id}'] ?? {}), [
      'delete',
    ]);
    // A new version of a record (here: an endpoint less) is a change like a new service.
    await registry.register({ ...shared('files-b', 'DELETE'), endpoints: [] });
    await until(async () => !(await doc('/openapi.json')).paths['/files/{id}']?.delete);
    assert.deepEqual((await doc('/openapi/files-b.json')).paths, {});
  });

  it('answers any query or document path with a document, a 404 or a 400 in the error shape', async () => {
    const part = fc.oneof(
      fc.constantFrom('alpha', 'beta', 'nope', '', '%', '%E0%A4%A', '__proto__', 'a%2Fb', '%00'),
      fc.string({ maxLength: 10 }).map(encodeURIComponent),
    );
    const key = fc.constantFrom('service', 'prefix', 'x', '', '__proto__', '%zz');
    const target = fc.oneof(
      fc
        .array(fc.tuple(key, part), { maxLength: 3 })
        .map((q) => `/openapi.json?${q.map(([k, v]) => `${k}=${v}`).join('&')}`),
      part.map((name) => `/openapi/${name}.json`),
    );
    await fc.assert(
      fc.asyncProperty(target, async (path) => {
        const res = await get(path);
        const body = (await res.json()) as Json;
        assert.ok([200, 400, 404].includes(res.status), `${path}: ${res.status}`);
        if (res.status === 200) assert.deepEqual(openApiProblems(body), [], path);
        else assert.deepEqual(Object.keys(body).sort(), ['code', 'detail', 'id', 'status'], path);
      }),
      fuzzParams(200, 30_000),
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCors } from '../../src/proxy/cors.ts';
import { createRequestLog } from '../../src/proxy/log.ts';
import { createRateLimiter } from '../../src/runtime/resilience/rate-limit.ts';
import { coerce, decodeBody, parseForm, parseJson } from '../../src/proxy/request.ts';
import { endpointPath, matchVersion, openApiDocument, resolvePath } from '../../src/proxy/index.ts';
import { compilePattern, declaredRoutes, matchRoute } from '../../src/proxy/routes.ts';
import type { Service } from '../../src/registry/registry.ts';

describe('gateway path resolution', () => {
  it("maps paths as go-micro's micro resolver did, with /vN as a version", () => {
    const cases: [string, string, ReturnType<typeof resolvePath>][] = [
      ['/greeter/say/hello', '', { service: 'greeter', endpoint: 'Say.Hello', version: undefined }],
      ['/greeter/hello', '', { service: 'greeter', endpoint: 'Greeter.Hello', version: undefined }],
      ['/foo/bar/baz/cat', '', { service: 'foo.bar', endpoint: 'Baz.Cat', version: undefined }],
      ['/v1/greeter/say/hello', '', { service: 'greeter', endpoint: 'Say.Hello', version: 'v1' }],
      ['/v2/greeter/hello', '', { service: 'greeter', endpoint: 'Greeter.Hello', version: 'v2' }],
      [
        '/greeter/say-hello/to-all',
        '',
        { service: 'greeter', endpoint: 'SayHello.ToAll', version: undefined },
      ],
      [
        '/greeter/say/hello',
        'go.micro.api',
        { service: 'go.micro.api.greeter', endpoint: 'Say.Hello', version: undefined },
      ],
      ['/greeter', '', { service: 'greeter', version: undefined }],
      [
        '/greeter/say/hello/',
        '',
        { service: 'greeter', endpoint: 'Say.Hello', version: undefined },
      ],
    ];
    for (const [path, ns, want] of cases) assert.deepEqual(resolvePath(path, ns), want, path);
    for (const bad of ['/', '/gre%20eter/x', '/a/../b', '/a/b.c/d'])
      assert.equal(resolvePath(bad), undefined, bad);
  });

  it('gives each endpoint a path that resolves back to it', () => {
    for (const [service, endpoint, ns] of [
      ['greeter', 'Say.Hello', ''],
      ['greeter', 'SayHello.ToAll', ''],
      ['foo.bar', 'Baz.Cat', ''],
      ['go.micro.api.greeter', 'Say.Hello', 'go.micro.api'],
    ] as const) {
      const path = endpointPath(service, endpoint, ns);
      assert.ok(path, `${service} ${endpoint}`);
      assert.deepEqual(resolvePath(path, ns), { service, endpoint, version: undefined });
    }
    assert.equal(endpointPath('other.greeter', 'Say.Hello', 'go.micro.api'), undefined);
  });

  it('matches versions by their leading parts', () => {
    assert.ok(matchVersion('v1', '1.4.0'));
    assert.ok(matchVersion('1', '1.0.0'));
    assert.ok(matchVersion('1.4', 'v1.4.2'));
    assert.ok(matchVersion('latest', 'latest'));
    assert.ok(!matchVersion('v1', '10.0.0'));
    assert.ok(!matchVersion('1.4.2', '1.4'));
    assert.ok(!matchVersion('v2', '1.4.0'));
  });

  it('matches declared routes, most specific first, with decoded parameters', () => {
    const svc = (name: string, endpoints: [string, Record<string, string>][]): Service => ({
      name,
      version: '1',
      metadata: {},
      nodes: [],
      endpoints: endpoints.map(([n, metadata]) => ({ name: n, metadata })),
    });
    const routes = declaredRoutes([
      svc('users', [
        ['Users.Get', { method: 'GET', path: '/users/{id}' }],
        ['Users.Me', { method: 'GET', path: '/users/me' }],
        ['Users.Files', { path: '/users/{id}/files/{rest...}' }],
      ]),
    ]);
    assert.equal(matchRoute(routes, 'GET', '/users/me')?.route.endpoint.name, 'Users.Me');
    assert.deepEqual(matchRoute(routes, 'GET', '/users/a%20b')?.params, { id: 'a b' });
    assert.equal(matchRoute(routes, 'POST', '/users/7'), undefined);
    assert.deepEqual(matchRoute(routes, 'DELETE', '/users/7/files/a/b.txt')?.params, {
      id: '7',
      rest: 'a/b.txt',
    });
  });

  it('types query and path values by the request schema, and reads JSON or forms', () => {
    const schema = {
      type: 'object',
      properties: {
        n: { type: 'integer' },
        ok: { type: 'boolean' },
        tags: { type: 'array' },
        s: { type: 'string' },
      },
    };
    assert.deepEqual(coerce({ n: '3', ok: 'true', tags: 'a', s: '4', x: ['1', '2'] }, schema), {
      n: 3,
      ok: true,
      tags: ['a'],
      s: '4',
      x: ['1', '2'],
    });
    assert.deepEqual(
      coerce({ n: 'three' }, schema),
      { n: 'three' },
      'left for the service to reject',
    );
    assert.deepEqual(decodeBody(Buffer.from('a=1&a=2&b=3'), 'application/x-www-form-urlencoded'), {
      a: ['1', '2'],
      b: '3',
    });
    assert.deepEqual(
      decodeBody(Buffer.from('{"a":1}'), 'application/x-www-form-urlencoded; charset=utf-8'),
      { a: 1 },
    );
    assert.throws(() => decodeBody(Buffer.from('{'), 'application/json'), /not valid JSON/);
    assert.throws(
      () => decodeBody(Buffer.from('x'), 'text/xml'),
      (e: { code: number }) => e.code === 415,
    );
  });

  it('allows CORS for listed origins and rate-limits per key', () => {
    const cors = createCors(['https://a.example']);
    assert.equal(
      cors.headers('https://a.example')?.['access-control-allow-origin'],
      'https://a.example',
    );
    assert.equal(cors.headers('https://b.example'), undefined);
    assert.ok(createCors(['*']).allows('https://b.example'));
    const limiter = createRateLimiter(1, 2);
    try {
      assert.deepEqual([limiter.take('a'), limiter.take('a')], [0, 0]);
      assert.ok(limiter.take('a') > 0);
      assert.equal(limiter.take('b'), 0, 'each key has its own bucket');
    } finally {
      limiter.close();
    }
  });

  it('writes an OpenAPI 3.1 document from endpoint schemas', () => {
    const doc = openApiDocument(
      [
        {
          name: 'greeter',
          version: '1.0.0',
          metadata: {},
          nodes: [{ id: 'n', address: '127.0.0.1:1', metadata: {} }],
          endpoints: [
            {
              name: 'Say.Hello',
              request: { type: 'object' },
              response: { type: 'object' },
              metadata: {},
            },
            { name: 'Say.Count', metadata: { stream: 'server' } },
            { name: 'events', metadata: { subscriber: 'true', topic: 'events' } },
          ],
        },
        {
          name: 'registry',
          version: 'latest',
          metadata: {},
          nodes: [],
          endpoints: [{ name: 'Registry.List', metadata: {} }],
        },
      ],
      { namespace: '', deny: ['registry'], version: '1' },
    ) as { openapi: string; paths: Record<string, unknown> };
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(Object.keys(doc.paths).sort(), ['/greeter/say/count', '/greeter/say/hello']);
  });
});

describe('declared routes and request parsing, bounded', () => {
  const svc = (endpoints: [string, Record<string, unknown>][]): unknown => ({
    name: 's',
    version: '1',
    metadata: {},
    nodes: [],
    endpoints: endpoints.map(([name, metadata]) => ({ name, metadata })),
  });

  it('matches segment by segment: one {rest...} anywhere, taking one or more segments', () => {
    const routes = declaredRoutes([
      svc([
        ['Files.Raw', { path: '/files/{path...}/raw' }],
        ['Files.Get', { path: '/files/{path...}' }],
        ['Root', { path: '/', method: 'GET' }],
      ]),
    ]);
    const m = (path: string) => {
      const r = matchRoute(routes, 'GET', path);
      return r && [r.route.endpoint.name, r.params];
    };
    assert.deepEqual(m('/files/a/b/raw'), ['Files.Raw', { path: 'a/b' }]);
    assert.deepEqual(m('/files/a/raw/'), ['Files.Raw', { path: 'a' }]);
    assert.deepEqual(m('/files/raw'), ['Files.Get', { path: 'raw' }]);
    assert.deepEqual(m('/files/a%2Fb/c'), ['Files.Get', { path: 'a/b/c' }]);
    assert.deepEqual(m('/'), ['Root', {}]);
    assert.equal(m('/files'), undefined);
    assert.equal(m('/files/'), undefined);
  });

  it('skips patterns that are not strings, not absolute, over the segment limit or with two rests', () => {
    for (const bad of [5, null, '', 'users/{id}', '/{a...}/{b...}', `/${'a/'.repeat(200)}`])
      assert.equal(compilePattern(bad), undefined, String(bad));
    const routes = declaredRoutes([
      svc([
        ['A', { path: 5, method: 7 }],
        ['B', { path: '/{a...}/{b...}/{c...}/{d...}/z' }],
        ['C', { path: '/c', method: ['GET'] }],
        ['D', { path: '/d/{__proto__}' }],
      ]),
      null,
      { name: 7 },
    ]);
    assert.deepEqual(
      routes.map((r) => r.endpoint.name),
      ['D'],
    );
    assert.deepEqual(matchRoute(routes, 'GET', '/d/x')?.params, { ['__proto__']: 'x' });
  });

  it('matches in time linear in the routes and the path, whatever was registered', () => {
    const patterns = ['/{a...}/z', '/{a}/{b}/{c}/{d}/{e}/{f}/z', '/a/{x...}/a/a/a/a/z'];
    const routes = declaredRoutes([svc(patterns.map((p, i) => [`E${i}`, { path: p }]))]);
    const path = `/${'a/'.repeat(127)}`;
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) matchRoute(routes, 'GET', path);
    const ms = performance.now() - t0;
    assert.ok(ms < 1000, `1000 matches took ${ms.toFixed(0)} ms`);
  });

  it('parses forms in linear time, up to a number of fields', () => {
    assert.deepEqual(parseForm('a=1&a=2&b=3&__proto__=x'), {
      a: ['1', '2'],
      b: '3',
      ['__proto__']: 'x',
    });
    assert.deepEqual(parseForm('a&&b=&=c'), { a: '', b: '', '': 'c' });
    const t0 = performance.now();
    const many = parseForm(new Array(1000).fill('k=v').join('&'));
    assert.equal((many.k as string[]).length, 1000);
    assert.throws(
      () => parseForm(new Array(500_000).fill('k').join('&')),
      (e: { code: number; detail: string }) => e.code === 413 && /1000 fields/.test(e.detail),
    );
    assert.throws(
      () => parseForm('a&b&c', 2, 'query'),
      (e: { code: number }) => e.code === 414,
    );
    const ms = performance.now() - t0;
    assert.ok(ms < 500, `took ${ms.toFixed(0)} ms`);
  });

  it('refuses JSON nested deeper than the limit before anything recurses over it', () => {
    assert.deepEqual(parseJson('[[["]]]]]]]]"]]]'), [[[']]]]]]]]']]]);
    assert.throws(
      () => parseJson(`${'['.repeat(100_000)}${']'.repeat(100_000)}`),
      (e: { code: number; detail: string }) => e.code === 400 && /deeper than 256/.test(e.detail),
    );
    assert.throws(
      () => decodeBody(Buffer.from(`{"a":${'{"a":'.repeat(300)}1${'}'.repeat(301)}`), undefined),
      (e: { code: number }) => e.code === 400,
    );
    assert.deepEqual(coerce({ ['__proto__']: '1' }, { properties: 'not an object' }), {
      ['__proto__']: '1',
    });
  });

  it('logs request lines with the control characters of URLs and targets escaped', async () => {
    let text = '';
    const log = createRequestLog((t) => (text += t));
    log({
      ip: '127.0.0.1',
      method: 'GET',
      url: '/a\u009b2J\u001b]0;x',
      status: 404,
      ms: 1,
      target: 'evil\u001b[31m Say.Hello',
    });
    await new Promise((r) => setImmediate(r));
    assert.match(text, / GET \/a\\u009b2J\\u001b\]0;x 404 1\.0ms evil\\u001b\[31m Say\.Hello\n$/);
    assert.ok(!text.includes('\u001b') && !text.includes('\u009b'), 'no raw escape reaches stderr');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCors } from '../../src/proxy/cors.ts';
import { createRateLimiter } from '../../src/proxy/rate-limit.ts';
import { coerce, decodeBody } from '../../src/proxy/request.ts';
import { endpointPath, matchVersion, openApiDocument, resolvePath } from '../../src/proxy/index.ts';
import { declaredRoutes, matchRoute } from '../../src/proxy/routes.ts';
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

// The control plane's registry service over the wire: what a client that bypasses the checks of
// micro's registry clients gets for bad records and bad requests.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startControlPlane } from '../../src/controlplane/index.ts';
import { registryHandler } from '../../src/controlplane/registry-service.ts';
import { createMemoryRegistry } from '../../src/registry/memory.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { RegisterOptions, Registry, Service } from '../../src/registry/registry.ts';
import { createService } from '../../src/runtime/index.ts';
import { postToRegistry, startTestControlPlane } from '../helpers/control-plane.ts';
import { quiet } from '../helpers/fixtures.ts';
import { scratchDir, serverForTests, startedForTests } from '../helpers/lifecycle.ts';

const address = serverForTests(() => startTestControlPlane('micro-regsvc-'));

/** POSTs a raw body to a Registry endpoint, as any HTTP client could. */
async function post(endpoint: string, body: string): Promise<{ status: number; json: unknown }> {
  const res = await postToRegistry(address(), endpoint, body);
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // left as text: the assertions below say it should have been JSON
  }
  return { status: res.status, json };
}

/** Asserts a 400 in the error shape whose detail matches `detail`. */
function badRequest(r: { status: number; json: unknown }, detail: RegExp): void {
  assert.equal(r.status, 400, JSON.stringify(r.json));
  const e = r.json as { id: string; code: number; detail: string; status: string };
  assert.deepEqual(Object.keys(e).sort(), ['code', 'detail', 'id', 'status']);
  assert.equal(e.code, 400);
  assert.equal(e.id, 'registry');
  assert.match(e.detail, detail);
  assert.ok(!e.detail.includes('\u001b'), 'no raw ESC in the detail');
}

const record = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'wire',
  version: '1.0.0',
  nodes: [{ id: 'wire-1', address: '127.0.0.1:1', metadata: {} }],
  ...over,
});

describe('registry service: records over the wire', () => {
  it('answers 400 naming the field for endpoint metadata that is not strings', async () => {
    const r = await post(
      'Registry.Register',
      JSON.stringify({
        service: record({ endpoints: [{ name: 'A.B', metadata: { path: 5, method: 7 } }] }),
      }),
    );
    badRequest(r, /^endpoints\[0\]\.metadata\.path must be a string/);
    assert.equal((await post('Registry.GetService', '{"name":"wire"}')).status, 404);
  });

  it('answers 400 for hostile names, and a lease of 0', async () => {
    for (const name of ['<script>', 'a/b', 'a\u0000b', 'x'.repeat(10_240), '\u001b[2J\u001b[31m'])
      badRequest(
        await post('Registry.Register', JSON.stringify({ service: record({ name }) })),
        /^name /,
      );
    badRequest(
      await post('Registry.Register', JSON.stringify({ service: record(), ttl: 0 })),
      /^ttl must be .*; leave it out for 30000$/,
    );
    // A null is not taken for "left out": the record is refused, naming the part.
    for (const [part, message] of [
      ['nodes', /^nodes must be an array/],
      ['endpoints', /^endpoints must be an array/],
      ['version', /^version must be a string/],
    ] as const)
      badRequest(
        await post('Registry.Register', JSON.stringify({ service: { ...record(), [part]: null } })),
        message,
      );
    const { nodes: _, ...noNodes } = record();
    badRequest(
      await post('Registry.Register', JSON.stringify({ service: noNodes })),
      /needs nodes/,
    );
    assert.equal((await post('Registry.GetService', '{"name":"wire"}')).status, 404);
  });

  it('answers 400 for a 20 MB record, and stores nothing', async () => {
    const big = record({ metadata: { blob: 'x'.repeat(20 * 1024 * 1024) } });
    const r = await post('Registry.Register', JSON.stringify({ service: big }));
    assert.ok(r.status === 400 || r.status === 413, `status ${r.status}`);
    assert.equal((r.json as { code: number }).code, r.status);
    assert.equal((await post('Registry.GetService', '{"name":"wire"}')).status, 404);
  });

  it('answers 400, never 500, for client mistakes in any Registry request', async () => {
    const bodies: [string, string][] = [
      ['Registry.Register', 'null'],
      ['Registry.Register', '[]'],
      ['Registry.Register', '{}'],
      ['Registry.Register', '{"service":null}'],
      ['Registry.Register', '{"service":{"name":"a","nodes":[null]}}'],
      ['Registry.Register', '{"service":{"name":"a","nodes":[{"id":"x"}]}}'],
      ['Registry.Register', '{"service":{"name":"a","nodes":[],"endpoints":[5]}}'],
      ['Registry.Register', '{"service":{"name":"a","nodes":[],"endpoints":{}}}'],
      ['Registry.Register', '{"service":{"name":"a","nodes":[]},"ttl":"5"}'],
      ['Registry.Deregister', 'null'],
      ['Registry.Deregister', '{"service":{"name":"a","nodes":[{}]}}'],
      ['Registry.Deregister', '{"service":{"name":"a","version":5,"nodes":[]}}'],
      ['Registry.GetService', 'null'],
      ['Registry.GetService', '{"name":5}'],
      ['Registry.ListServices', 'null'],
    ];
    for (const [endpoint, body] of bodies) {
      const r = await post(endpoint, body);
      assert.equal(r.status, 400, `${endpoint} ${body}: ${JSON.stringify(r.json)}`);
      assert.equal((r.json as { code: number }).code, 400);
    }
  });

  it('takes a valid record, and a deregistration naming its node only', async () => {
    const ok = await post(
      'Registry.Register',
      JSON.stringify({ service: record({ metadata: { note: 'a\u001bb' } }), ttl: 60_000 }),
    );
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    const found = await post('Registry.GetService', '{"name":"wire"}');
    assert.equal(found.status, 200);
    const gone = await post(
      'Registry.Deregister',
      JSON.stringify({ service: { name: 'wire', version: '1.0.0', nodes: [{ id: 'wire-1' }] } }),
    );
    assert.equal(gone.status, 200, JSON.stringify(gone.json));
    assert.equal((await post('Registry.GetService', '{"name":"wire"}')).status, 404);
  });
});

describe('registry service: registration hygiene', () => {
  const refused = async (endpoint: string, body: unknown, detail: RegExp): Promise<void> =>
    badRequest(await post(endpoint, JSON.stringify(body)), detail);

  it('refuses a Register with fields it does not take, naming them, and stores nothing', async () => {
    await refused(
      'Registry.Register',
      { service: record(), options: { ttl: 30_000 } },
      /^options is not a field of a Registry\.Register request; it takes service and ttl$/,
    );
    await refused(
      'Registry.Register',
      { service: record({ ttl: 30_000 }) },
      /^ttl is not a field of a service; it has name, version, metadata, endpoints and nodes$/,
    );
    await refused(
      'Registry.Register',
      { service: record({ nodes: [{ id: 'wire-1', address: '127.0.0.1:1', weight: 5 }] }) },
      /^nodes\[0\]\.weight is not a field of a node; it has id, address and metadata$/,
    );
    await refused(
      'Registry.Register',
      { service: record({ endpoints: [{ name: 'A.B', metadata: {}, path: '/a' }] }) },
      /^endpoints\[0\]\.path is not a field of an endpoint; it has name, request, response and metadata$/,
    );
    await refused(
      'Registry.Register',
      { service: record({ 'x\u001b[2J': 1 }) },
      /^\["x\\u001b\[2J"\] is not a field of a service/,
    );
    assert.equal((await post('Registry.GetService', '{"name":"wire"}')).status, 404);
  });

  it('advertises its requests as closed JSON Schemas', async () => {
    const found = await post('Registry.GetService', '{"name":"registry"}');
    const [svc] = (found.json as { services: Service[] }).services;
    const request = (name: string) => svc?.endpoints.find((e) => e.name === name)?.request;
    for (const name of ['Registry.Register', 'Registry.ListServices', 'Registry.Watch'])
      assert.equal(request(name)?.additionalProperties, false, name);
    assert.deepEqual(Object.keys(request('Registry.ListServices')?.properties as object), [
      'prefix',
      'contains',
      'limit',
      'cursor',
      'summary',
    ]);
  });

  it('refuses unknown fields in Deregister, GetService and Watch requests too', async () => {
    await refused(
      'Registry.Deregister',
      { service: record(), force: true },
      /^force is not a field of a Registry\.Deregister request; it takes service$/,
    );
    await refused(
      'Registry.Deregister',
      { service: record({ nodes: [{ id: 'wire-1', note: 'x' }] }) },
      /^nodes\[0\]\.note is not a field of a node/,
    );
    await refused(
      'Registry.GetService',
      { name: 'wire', version: '1.0.0' },
      /^version is not a field of a Registry\.GetService request; it takes name$/,
    );
    // A stream's request: the error arrives as a text message, and the stream ends.
    const ws = new WebSocket(`ws://${address()}/`, {
      headers: {
        'micro-service': 'registry',
        'micro-endpoint': 'Registry.Watch',
        'content-type': 'application/json',
      },
    });
    const error = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => {
        ws.send(Buffer.from(JSON.stringify({ services: 'wire' })));
        ws.send(Buffer.alloc(0));
      });
      ws.on('message', (data: Buffer, binary) => {
        if (!binary) resolve(data.toString('utf8'));
      });
      ws.on('close', () => reject(new Error('closed without an error')));
      ws.on('error', reject);
    });
    ws.close();
    const e = JSON.parse(error) as { code: number; detail: string };
    assert.equal(e.code, 400);
    assert.match(
      e.detail,
      /^services is not a field of a Registry\.Watch request; it takes service$/,
    );
  });
});

describe('registry service: the lease of a registration that names none', () => {
  it("is 30 s over the wire: the lease micro's own nodes renew, not a day", async () => {
    const leases: (number | undefined)[] = [];
    const inner = createMemoryRegistry();
    const spy: Registry = {
      ...inner,
      register: (s: Service, o?: RegisterOptions) => {
        leases.push(o?.ttl);
        return inner.register(s, o);
      },
    };
    const own = createMemoryRegistry();
    const server = createService({
      name: 'registry',
      address: '127.0.0.1:0',
      registry: own,
      handleSignals: false,
      logger: quiet,
    });
    server.handle('Registry', registryHandler(spy));
    await server.start();
    try {
      const res = await postToRegistry(
        server.server.address,
        'Registry.Register',
        JSON.stringify({ service: record() }),
      );
      assert.equal(res.status, 200, await res.text());
      const named = await postToRegistry(
        server.server.address,
        'Registry.Register',
        JSON.stringify({ service: record(), ttl: 90_000 }),
      );
      assert.equal(named.status, 200);
      assert.deepEqual(leases, [30_000, 90_000]);
    } finally {
      await server.stop();
      await Promise.all([inner.close(), own.close()]);
    }
  });

  const dataDir = scratchDir('micro-lease-');
  const plane = startedForTests(() =>
    startControlPlane({
      address: '127.0.0.1:0',
      dataDir,
      logger: quiet,
      limits: { remoteDefaultTtl: 400 },
    }),
  );

  it('expires: the node is gone once that lease ends, and watchers are told', async () => {
    const watcher = createMicroRegistry({ address: plane().address });
    const w = watcher.watch({ service: 'lease' });
    try {
      const res = await postToRegistry(
        plane().address,
        'Registry.Register',
        JSON.stringify({ service: record({ name: 'lease' }) }),
      );
      assert.equal(res.status, 200, await res.text());
      const found = await postToRegistry(
        plane().address,
        'Registry.GetService',
        '{"name":"lease"}',
      );
      assert.equal(found.status, 200, 'listed at first');
      let deleted = false;
      for await (const event of w) if ((deleted = event.action === 'delete')) break;
      assert.ok(deleted, 'the watch reported its end');
      const after = await postToRegistry(
        plane().address,
        'Registry.GetService',
        '{"name":"lease"}',
      );
      assert.equal(after.status, 404);
    } finally {
      w.stop();
      await watcher.close();
    }
  });
});

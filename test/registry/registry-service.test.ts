// The control plane's registry service over the wire: what a client that bypasses the checks of
// micro's registry clients gets for bad records and bad requests.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { postToRegistry, startTestControlPlane } from '../helpers/control-plane.ts';
import { serverForTests } from '../helpers/lifecycle.ts';

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
      /^ttl must be/,
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

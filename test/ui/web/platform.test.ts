// The dashboard's platform routes over real HTTP against a real control plane: reads and changes
// reach the store, config and sync services; hostile requests get 400s and 403s and change nothing;
// the store watch streams changes as server-sent events.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { createClient, type Client, type Registry } from '../../../src/runtime/index.ts';
import { startWeb, type Web } from '../../../src/ui/web/index.ts';
import { startTestControlPlane } from '../../helpers/control-plane.ts';
import { closeAll, postJson } from '../../helpers/fixtures.ts';
import { requestAs } from '../../helpers/raw-http.ts';
import type { RunningServer } from '../../helpers/server-process.ts';

describe('the dashboard: store, config and sync routes', () => {
  let plane: RunningServer;
  let registry: Registry;
  let client: Client;
  let web: Web;
  let base = '';
  const ns = { database: 'shop', table: 'carts' };

  before(async () => {
    plane = await startTestControlPlane('micro-web-platform-');
    registry = createMicroRegistry({ address: plane.address });
    client = createClient({ registry, name: 'ops' });
    web = await startWeb({ address: '127.0.0.1:0', registry, client });
    base = `http://${web.address}`;
  });
  after(() => closeAll(web, client, registry, plane));

  /** What a route answered: its status and JSON body, typed as the test expects it. */
  const getJson = async <T = { error: { detail: string } }>(
    path: string,
  ): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${base}/_/api/${path}`);
    return { status: res.status, body: (await res.json()) as T };
  };
  const stored = (key: string) => client.call('store', 'Store.Get', { ...ns, key });

  it('reads and changes the store as its service answers', async () => {
    const put = await postJson(`${base}/_/api/store/put`, { ...ns, key: 'a', value: { n: 1 } });
    assert.equal(put.status, 200);
    const { entry } = (await put.json()) as { entry: { version: string } };
    assert.deepEqual(await stored('a'), {
      entry: { key: 'a', value: { n: 1 }, version: entry.version },
    });
    const list = await getJson<{ entries: { key: string }[] }>(
      'store/list?database=shop&table=carts&keysOnly=true&limit=10',
    );
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.entries.map((e) => e.key),
      ['a'],
    );
    assert.deepEqual((await getJson<{ namespaces: unknown }>('store/namespaces')).body.namespaces, [
      ns,
    ]);
    assert.deepEqual((await getJson<unknown>('store/get?database=shop&table=carts&key=a')).body, {
      entry: { key: 'a', value: { n: 1 }, version: entry.version },
    });
    // A stale version: the service's 409 comes through as it is, and the key stays.
    const stale = await postJson(`${base}/_/api/store/delete`, { ...ns, key: 'a', ifVersion: 'x' });
    assert.equal(stale.status, 409);
    assert.equal(((await stale.json()) as { error: { code: number } }).error.code, 409);
    assert.ok(((await stored('a')) as { entry?: unknown }).entry);
  });

  it('refuses unknown, repeated and mistyped fields with a 400 naming them, storing nothing', async () => {
    const cases: [string, RegExp][] = [
      ['store/list?database=shop&evil=1', /takes no field evil; it takes database, table/],
      ['store/list?limit=1&limit=2', /limit must be given once/],
      ['store/list?limit=ten', /limit must be a number, not ten/],
      ['store/list?keysOnly=yes', /keysOnly must be true or false/],
      ['sync/leaders?name=x', /takes no field name; it takes none/],
    ];
    for (const [path, detail] of cases) {
      const r = await getJson(path);
      assert.equal(r.status, 400, path);
      assert.match(r.body.error.detail, detail, path);
    }
    const extra = await postJson(`${base}/_/api/store/put`, { ...ns, key: 'b', value: 1, as: 'x' });
    assert.equal(extra.status, 400);
    assert.match(
      ((await extra.json()) as { error: { detail: string } }).error.detail,
      /no field as/,
    );
    for (const body of ['[1]', '"b"', 'null']) {
      const r = await postJson(`${base}/_/api/store/put`, body);
      assert.equal(r.status, 400, body);
    }
    // The service's own checks: a NUL in a key.
    const nul = await postJson(`${base}/_/api/store/put`, { ...ns, key: 'b\u0000', value: 1 });
    assert.equal(nul.status, 400);
    assert.deepEqual(await stored('b'), {});
  });

  it('takes changes only from its own pages: no form posts, no foreign origin', async () => {
    const body = JSON.stringify({ namespace: 'billing', path: 'mode', value: 'evil' });
    const attempts: Record<string, string>[] = [
      { 'content-type': 'text/plain', host: web.address },
      { 'content-type': 'application/json', host: web.address, origin: 'http://evil.example' },
    ];
    for (const headers of attempts) {
      const r = await requestAs(web.address, {
        method: 'POST',
        path: '/_/api/config/set',
        headers,
        body,
      });
      assert.equal(r.status, 403);
    }
    const tree = await client.call<{ version: number }>('config', 'Config.Get', {
      namespace: 'billing',
      path: '',
    });
    assert.equal(tree.version, 0, 'nothing was set');
  });

  it("passes config's schema 400 on with its detail, and records the dashboard's changes", async () => {
    await client.call('config', 'Config.SetSchema', {
      namespace: 'limits',
      schema: { type: 'object', properties: { max: { type: 'integer', maximum: 10 } } },
    });
    const bad = await postJson(`${base}/_/api/config/set`, {
      namespace: 'limits',
      path: 'max',
      value: 11,
    });
    assert.equal(bad.status, 400);
    const e = ((await bad.json()) as { error: { id: string; detail: string } }).error;
    assert.equal(e.id, 'config');
    assert.match(e.detail, /max/);
    const ok = await postJson(`${base}/_/api/config/set`, {
      namespace: 'limits',
      path: 'max',
      value: 7,
    });
    assert.equal(ok.status, 200);
    const history = await getJson<{ versions: { path: string }[] }>(
      'config/history?namespace=limits',
    );
    assert.equal(history.body.versions.length, 1, 'the refused change left no version');
    assert.equal(history.body.versions[0]?.path, 'max');
    assert.deepEqual(
      (await getJson<{ value: unknown }>('config/get?namespace=limits&path=')).body.value,
      { max: 7 },
    );
  });

  it("streams a namespace's changes under a prefix: ready first, then each put", async () => {
    const abort = new AbortController();
    const res = await fetch(`${base}/_/api/store/watch?database=shop&table=carts&prefix=w/`, {
      signal: abort.signal,
    });
    assert.equal(res.status, 200);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const until = async (want: RegExp): Promise<void> => {
      for (let i = 0; i < 100 && !want.test(text); i++) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      assert.match(text, want);
    };
    await until(/event: ready/);
    await client.call('store', 'Store.Put', { ...ns, key: 'other', value: 0 });
    await client.call('store', 'Store.Put', { ...ns, key: 'w/1', value: 'x' });
    await until(/event: change\ndata: \{"action":"put","key":"w\/1"/);
    assert.doesNotMatch(text, /"key":"other"/, 'outside the prefix');
    abort.abort();

    const bad = await getJson('store/watch?database=no%20spaces');
    assert.equal(bad.status, 400, 'a bad namespace is an answer, not a stream that ends');
  });
});

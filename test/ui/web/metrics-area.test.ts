// The dashboard's metrics route over real HTTP, against a Metrics that records what it is asked:
// a query reaches it as asked, hostile fields are a 400 naming the field and reach nothing, a
// foreign Host is a 421, and a dashboard started without the area answers 501.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Metrics } from '../../../src/platform/metrics/metrics.ts';
import { createMemoryRegistry } from '../../../src/registry/index.ts';
import { createClient, type Client, type Registry } from '../../../src/runtime/index.ts';
import { startWeb, type Web } from '../../../src/ui/web/index.ts';
import { closeAll } from '../../helpers/fixtures.ts';
import { requestAs } from '../../helpers/raw-http.ts';

describe('the dashboard: metrics route', () => {
  let registry: Registry;
  let client: Client;
  let web: Web;
  let bare: Web;
  const asked: unknown[] = [];
  const metrics: Metrics = {
    query: async (q = {}) => {
      asked.push(q);
      return { time: 1, window: q.window ?? 900_000, step: 5000, endpoints: [] };
    },
    close: async () => {},
  };

  before(async () => {
    registry = createMemoryRegistry();
    client = createClient({ registry, name: 'ops' });
    web = await startWeb({ address: '127.0.0.1:0', registry, client, metrics });
    bare = await startWeb({ address: '127.0.0.1:0', registry, client });
  });
  after(() => closeAll(web, bare, client, registry));

  const get = async (path: string, at = web) => {
    const res = await fetch(`http://${at.address}/_/api/${path}`);
    return {
      status: res.status,
      body: (await res.json()) as { window?: number; error?: { detail: string } },
    };
  };

  it('passes a query on and answers the report', async () => {
    const all = await get('metrics');
    assert.equal(all.status, 200);
    assert.equal(all.body.window, 900_000);
    const one = await get('metrics?service=shop&window=60000');
    assert.equal(one.body.window, 60_000);
    assert.deepEqual(asked, [{}, { service: 'shop', window: 60_000 }]);
  });

  it('refuses hostile fields with a 400 naming them, asking nothing', async () => {
    asked.length = 0;
    for (const [path, field] of [
      ['metrics?window=soon', 'window'],
      ['metrics?window=5', 'window'],
      ['metrics?window=1.5e12', 'window'],
      [`metrics?service=${'x'.repeat(300)}`, 'service'],
      ['metrics?nope=1', 'nope'],
    ]) {
      const r = await get(path!);
      assert.equal(r.status, 400, path);
      assert.match(JSON.stringify(r.body), new RegExp(field!), path);
    }
    assert.deepEqual(asked, []);
    const foreign = await requestAs(web.address, {
      path: '/_/api/metrics',
      headers: { host: 'evil.example' },
    });
    assert.equal(foreign.status, 421);
    assert.equal((await get('metrics', bare)).status, 501);
  });
});

// The dashboard's trace routes over real HTTP, against the in-memory Trace: lists filter and
// order as the service does, a trace and the map come back whole, the log lines come with a note
// when there is no logs service; hostile requests get 400s naming the field, a foreign Host 421,
// and a dashboard without traces answers 501.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMemoryTrace } from '../../../src/platform/trace/memory.ts';
import type { Trace, TraceDetail, TraceSummary } from '../../../src/platform/trace/trace.ts';
import { createMemoryRegistry } from '../../../src/registry/index.ts';
import { createClient, type Client, type Registry } from '../../../src/runtime/index.ts';
import { startWeb, type Web } from '../../../src/ui/web/index.ts';
import { closeAll } from '../../helpers/fixtures.ts';
import { requestAs } from '../../helpers/raw-http.ts';
import { FAILED, PLAIN, sampleSpans } from '../../helpers/trace-fixture.ts';

type Failed = { error: { code: number; detail: string } };

describe('the dashboard: trace routes', () => {
  let registry: Registry;
  let client: Client;
  let trace: Trace;
  let web: Web;
  let bare: Web;

  before(async () => {
    registry = createMemoryRegistry();
    client = createClient({ registry, name: 'ops' });
    trace = createMemoryTrace();
    await trace.write(sampleSpans());
    web = await startWeb({ address: '127.0.0.1:0', registry, client, trace });
    bare = await startWeb({ address: '127.0.0.1:0', registry, client });
  });
  after(() => closeAll(web, bare, client, trace, registry));

  const get = async <T = Failed>(path: string, at = web): Promise<{ status: number; body: T }> => {
    const res = await fetch(`http://${at.address}/_/api/${path}`);
    return { status: res.status, body: (await res.json()) as T };
  };

  it('lists, filters, reads a trace, maps, and notes the missing logs service', async () => {
    const all = await get<{ traces: TraceSummary[] }>('trace/list');
    assert.deepEqual(
      all.body.traces.map((t) => t.traceId),
      [PLAIN, FAILED],
    );
    const failed = await get<{ traces: TraceSummary[] }>('trace/list?status=error&min=10&limit=5');
    assert.deepEqual(
      failed.body.traces.map((t) => t.traceId),
      [FAILED],
    );
    const one = await get<TraceDetail>(`trace/get?id=${FAILED.toUpperCase()}`);
    assert.equal(one.body.spans.length, 4);
    const map = await get<{ edges: { from: string; to: string; errors: number }[] }>('trace/map');
    assert.deepEqual(
      map.body.edges.map((e) => [e.from, e.to, e.errors]),
      [
        ['api', 'greeter', 0],
        ['greeter', 'store', 1],
      ],
    );
    const logs = await get<{ note: string }>(`trace/logs?id=${FAILED}`);
    assert.equal(logs.status, 200);
    assert.match(logs.body.note, /no logs service answered/);
  });

  it('refuses hostile requests with a 400 naming the field, a foreign Host with 421', async () => {
    const cases: [string, number, RegExp][] = [
      ['trace/get', 400, /id is required/],
      ['trace/get?id=../../etc', 400, /id must be a trace id/],
      ['trace/get?id=a&id=b', 400, /id must be given once/],
      [`trace/get?id=${'f'.repeat(32)}`, 404, /not found|no trace/],
      ['trace/list?status=maybe', 400, /status must be ok or error/],
      ['trace/list?min=-1', 400, /min must be a whole number/],
      ['trace/list?limit=100000', 400, /limit must be a whole number from 1 to 500/],
      ['trace/list?service=' + 'x'.repeat(300), 400, /service is longer than 255/],
      ['trace/list?evil=1', 400, /evil/],
      ['trace/map?since=soon', 400, /since must be a number/],
    ];
    for (const [path, status, detail] of cases) {
      const r = await get(path);
      assert.equal(r.status, status, path);
      assert.match(r.body.error.detail, detail, path);
    }
    const rebound = await requestAs(web.address, {
      path: '/_/api/trace/list',
      headers: { host: 'rebound.example' },
    });
    assert.equal(rebound.status, 421);
    const none = await get('trace/list', bare);
    assert.equal(none.status, 501);
    assert.match(none.body.error.detail, /without the trace area/);
  });
});

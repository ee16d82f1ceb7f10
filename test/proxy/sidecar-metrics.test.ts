// The sidecar's `GET /metrics`: its requests by route template (not the raw path), method and
// status, with a latency histogram; refused to a web page and, with a token set, to a caller
// without it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSidecarBench, type SidecarBench } from './sidecar-fixture.ts';
import { parseExposition, select } from '../helpers/prometheus-text.ts';

describe('the sidecar /metrics', () => {
  let bench: SidecarBench;
  before(async () => {
    bench = await startSidecarBench();
  });
  after(() => bench.close());

  it('counts requests by route template, method and status', async () => {
    for (const name of ['Ann', 'Bob']) {
      const res = await fetch(`${bench.base}/greeter/Say.Hello`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      assert.equal(res.status, 200);
    }
    assert.equal((await fetch(`${bench.base}/no/such/path`)).status, 404);
    const res = await fetch(`${bench.base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const e = parseExposition(await res.text());
    const calls = { route: '/:service/:endpoint', method: 'POST' };
    assert.equal(select(e, 'micro_sidecar_requests_total', { ...calls, code: '200' })[0]?.value, 2);
    assert.equal(
      select(e, 'micro_sidecar_request_duration_seconds_count', { route: calls.route })[0]?.value,
      2,
    );
    assert.equal(
      select(e, 'micro_sidecar_requests_total', { route: 'none', code: '404' })[0]?.value,
      1,
    );
    assert.equal(select(e, 'micro_sidecar_requests_in_flight')[0]?.value, 1, 'the scrape itself');
    assert.ok(select(e, 'process_cpu_user_seconds_total').length === 1);
  });

  it('refuses a web page, and a caller without the token when one is set', async () => {
    const page = await fetch(`${bench.base}/metrics`, {
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(page.status, 403);
    const locked = await bench.start({ token: 'sesame' });
    try {
      const base = `http://${locked.address}`;
      assert.equal((await fetch(`${base}/metrics`)).status, 401);
      const ok = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer sesame' } });
      assert.equal(ok.status, 200);
    } finally {
      await locked.close();
    }
  });
});

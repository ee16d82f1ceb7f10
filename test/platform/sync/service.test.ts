import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '../../../src/controlplane/index.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { quiet } from '../../helpers/fixtures.ts';

/** Any of the service's answers, loosely. */
interface Reply {
  id?: string;
  detail?: string;
  token?: number;
  leading?: boolean;
  leader?: { term: number };
  candidates?: { id: string }[];
}

// The control plane's `sync` service as any HTTP client sees it: closed requests, the error shape,
// and fencing tokens and terms that keep growing across a restart of the control plane.
describe('the control plane sync service', () => {
  let dataDir: string;
  let cp: ControlPlane | undefined;
  let node = '';

  const start = async (): Promise<void> => {
    cp = await startControlPlane({ address: '127.0.0.1:0', dataDir, logger: quiet });
    const registry = createMicroRegistry({ address: cp.address });
    try {
      const [service] = await registry.getService('sync');
      node = service?.nodes[0]?.address ?? '';
    } finally {
      await registry.close();
    }
  };
  const post = async (endpoint: string, body: string): Promise<{ status: number; json: Reply }> => {
    const res = await fetch(`http://${node}/`, {
      method: 'POST',
      headers: {
        'micro-service': 'sync',
        'micro-endpoint': `Sync.${endpoint}`,
        'content-type': 'application/json',
      },
      body,
    });
    return { status: res.status, json: (await res.json()) as Reply };
  };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'micro-sync-svc-'));
    await start();
  });
  after(async () => {
    await cp?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers bad requests with a 400 in the error shape naming what is wrong, and locks nothing', async () => {
    const cases: [string, string, RegExp][] = [
      [
        'Lock',
        '{"name":"a","holder":"h","colour":"red"}',
        /^colour is not a field of a Sync.Lock request; it takes name, holder, ttl and wait$/,
      ],
      ['Lock', '{"holder":"h"}', /needs name/],
      ['Lock', '{"name":"a","holder":"h","ttl":"10s"}', /ttl must be a whole number/],
      ['Lock', '{"name":"a","holder":"h","ttl":10}', /ttl must be a whole number of ms from 1000/],
      ['Lock', `{"name":"${'x'.repeat(10_240)}","holder":"h"}`, /name is 10240 characters long/],
      ['Lock', '{"name":"a\\u0000b","holder":"h"}', /control characters/],
      ['Lock', '[1,2]', /must be a JSON object/],
      ['Lock', 'null', /must be a JSON object/],
      ['Renew', '{"name":"a","token":-1}', /token must be a positive whole number/],
      ['Campaign', '{"name":"e","id":"x","ttl":1e9}', /ttl must be/],
      ['Leaders', '{"x":1}', /^x is not a field of a Sync.Leaders request; it takes none$/],
    ];
    for (const [endpoint, body, detail] of cases) {
      const { status, json } = await post(endpoint, body);
      assert.equal(status, 400, `${endpoint} ${body.slice(0, 60)}`);
      assert.deepEqual(Object.keys(json).sort(), ['code', 'detail', 'id', 'status']);
      assert.equal(json.id, 'sync');
      assert.match(json.detail ?? '', detail);
    }
    assert.deepEqual((await post('Locks', '{}')).json, { locks: [] });
    assert.deepEqual((await post('Leaders', '{}')).json, { leaders: [] });
  });

  it('gives a 409 for a held lock and a 404 for a renewal with a stale token', async () => {
    const first = await post('Lock', '{"name":"job","holder":"h1","ttl":60000}');
    assert.equal(first.status, 200);
    assert.equal((await post('Lock', '{"name":"job","holder":"h2"}')).status, 409);
    const stale = await post('Renew', `{"name":"job","token":${(first.json.token ?? 0) + 1}}`);
    assert.equal(stale.status, 404);
    assert.match(stale.json.detail ?? '', /not held with token/);
    assert.equal(
      (await post('Renew', `{"name":"job","token":${first.json.token ?? 0}}`)).status,
      200,
    );
    assert.deepEqual(
      (await post('Unlock', `{"name":"job","token":${first.json.token ?? 0}}`)).json,
      {},
    );
  });

  it('keeps fencing tokens and terms growing across a restart of the control plane', async () => {
    const lock = await post('Lock', '{"name":"restart","holder":"h","ttl":60000}');
    const elected = await post('Campaign', '{"name":"restart","id":"c1","ttl":60000}');
    assert.equal(elected.json.leading, true);
    await post('Resign', '{"name":"restart","id":"c1"}');
    await cp?.stop();
    await start();
    // The lock taken before the restart is still held: leases outlive it.
    assert.equal((await post('Lock', '{"name":"restart","holder":"h2"}')).status, 409);
    await post('Unlock', `{"name":"restart","token":${lock.json.token ?? 0}}`);
    const again = await post('Lock', '{"name":"restart","holder":"h2"}');
    assert.ok((again.json.token ?? 0) > (lock.json.token ?? Infinity), 'the token grew');
    const next = await post('Campaign', '{"name":"restart","id":"c2","ttl":60000}');
    assert.ok(
      (next.json.leader?.term ?? 0) > (elected.json.leader?.term ?? Infinity),
      'the term grew',
    );
    assert.deepEqual(
      (await post('Candidates', '{"name":"restart"}')).json.candidates?.map((c) => c.id),
      ['c2'],
    );
  });
});

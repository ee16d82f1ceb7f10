import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { postJson } from '../helpers/fixtures.ts';
import { startSidecarBench, type SidecarBench } from './sidecar-fixture.ts';

describe('the sidecar', () => {
  let bench: SidecarBench;
  let base = '';
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    postJson(`${base}${path}`, body, headers);

  before(async () => {
    bench = await startSidecarBench({ sidecar: { bodyLimit: 1024 } });
    base = bench.base;
  });
  after(() => bench.close());

  it('calls a service through /rpc (JSON or form) and /[service]/[endpoint]', async () => {
    const a = await post('/rpc', {
      service: 'greeter',
      endpoint: 'Say.Hello',
      request: { name: 'Ann' },
    });
    assert.equal(a.status, 200);
    assert.deepEqual(await a.json(), { msg: 'Hello Ann' });
    const form = await fetch(`${base}/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        service: 'greeter',
        endpoint: 'Say.Hello',
        request: '{"name":"Form"}',
      }),
    });
    assert.deepEqual(await form.json(), { msg: 'Hello Form' });
    const b = await post('/greeter/Say.Hello', { name: 'Bo' });
    assert.deepEqual(await b.json(), { msg: 'Hello Bo' });
  });

  it("reads curl's default -d body (labelled a form) as JSON when it is JSON", async () => {
    const curl = (path: string, body: string) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    const rpc = await curl(
      '/rpc',
      ' {"service":"greeter","endpoint":"Say.Hello","request":{"name":"A"}}',
    );
    assert.equal(rpc.status, 200);
    assert.deepEqual(await rpc.json(), { msg: 'Hello A' });
    assert.deepEqual(await (await curl('/greeter/Say.Hello', '{"name":"B"}')).json(), {
      msg: 'Hello B',
    });
    const ws = new WebSocket(`ws://${bench.sidecar.address}/broker?topic=curl`);
    const messages: unknown[] = [];
    await new Promise<void>((resolve) =>
      ws.on('message', (d: Buffer) => {
        const m = JSON.parse(d.toString()) as { subscribed?: string };
        if (m.subscribed) resolve();
        else messages.push(m);
      }),
    );
    assert.equal((await curl('/publish/curl', '{"name":"C"}')).status, 200);
    while (messages.length < 1) await once(ws, 'message');
    assert.deepEqual(messages, [{ name: 'C' }]);
    ws.close();
    // Malformed JSON is a 400 in the error shape; a real form stays a form.
    const bad = await curl('/rpc', '{"service":');
    assert.equal(bad.status, 400);
    assert.deepEqual(Object.keys((await bad.json()) as object).sort(), [
      'code',
      'detail',
      'id',
      'status',
    ]);
    const form = await curl('/rpc', 'service=greeter&endpoint=Say.Hello&request={"name":"D"}');
    assert.deepEqual(await form.json(), { msg: 'Hello D' });
  });

  it('serves the Dapr paths: invoke, publish and healthz', async () => {
    const r = await post('/v1.0/invoke/greeter/method/Say.Hello', { name: 'Dapr' });
    assert.deepEqual(await r.json(), { msg: 'Hello Dapr' });
    assert.equal((await fetch(`${base}/v1.0/healthz`)).status, 204);
    assert.equal((await post('/v1.0/publish/pubsub/orders', { id: 1 })).status, 204);
  });

  it('reads, adds and removes registrations', async () => {
    const record = { name: 'ghost', nodes: [{ id: 'g1', address: '127.0.0.1:1' }] };
    assert.equal((await post('/registry?ttl=30', record)).status, 200);
    const got = (await (await fetch(`${base}/registry?service=ghost`)).json()) as {
      nodes: { id: string }[];
    }[];
    assert.equal(got[0]?.nodes[0]?.id, 'g1');
    const all = (await (await fetch(`${base}/registry`)).json()) as { name: string }[];
    assert.ok(all.some((s) => s.name === 'greeter'));
    const del = await fetch(`${base}/registry`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(record),
    });
    assert.equal(del.status, 200);
    assert.equal((await fetch(`${base}/registry?service=ghost`)).status, 404);
  });

  it('publishes and subscribes over the broker WebSocket, once per queue group', async () => {
    const open = async (queue?: string): Promise<{ ws: WebSocket; got: unknown[] }> => {
      const ws = new WebSocket(
        `ws://${bench.sidecar.address}/broker?topic=jobs${queue ? `&queue=${queue}` : ''}`,
      );
      const got: unknown[] = [];
      const subscribed = new Promise<void>((resolve) =>
        ws.on('message', (d: Buffer) => {
          const m = JSON.parse(d.toString()) as { subscribed?: string };
          if (m.subscribed) resolve();
          else got.push(m);
        }),
      );
      await subscribed;
      return { ws, got };
    };
    const w1 = await open('workers');
    const w2 = await open('workers');
    const watcher = await open();
    for (let n = 0; n < 20; n++) assert.equal((await post('/publish/jobs', { n })).status, 200);
    // Frames sent on the socket are published too.
    const publisher = await open();
    publisher.ws.send(JSON.stringify({ n: 20 }));
    while (watcher.got.length < 21) await once(watcher.ws, 'message');
    assert.equal(watcher.got.length, 21);
    const group = [...w1.got, ...w2.got].map((m) => (m as { n: number }).n).sort((x, y) => x - y);
    assert.deepEqual(
      group,
      Array.from({ length: 21 }, (_, i) => i),
    );
    for (const c of [w1, w2, watcher, publisher]) c.ws.close();
  });

  it('answers bad input with structured 4xx errors and keeps serving', async () => {
    const shapes: [Response, number][] = [
      [await post('/rpc', '{"service":'), 400],
      [await post('/rpc', { service: 'greeter' }), 400],
      [await post('/rpc', { service: 'nobody', endpoint: 'X.Y', request: {} }), 404],
      [await post('/greeter/Say.Hello', { name: 'x'.repeat(2000) }), 413],
      [
        await fetch(`${base}/rpc`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: 'hi',
        }),
        415,
      ],
      [await fetch(`${base}/nope`), 404],
    ];
    for (const [res, code] of shapes) {
      assert.equal(res.status, code);
      const body = (await res.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), ['code', 'detail', 'id', 'status']);
      assert.equal(body.code, code);
    }
    assert.equal((await fetch(`${base}/health`)).status, 200);
  });

  it('requires the token on every request when one is set', async () => {
    const guarded = await bench.start({ token: 's3cret' });
    const url = `http://${guarded.address}/health`;
    const denied = await fetch(url);
    assert.equal(denied.status, 401);
    assert.equal(((await denied.json()) as { code: number }).code, 401);
    assert.equal((await fetch(url, { headers: { authorization: 'Bearer s3cret' } })).status, 200);
    assert.equal((await fetch(url, { headers: { 'dapr-api-token': 's3cret' } })).status, 200);
    await guarded.close();
  });
});

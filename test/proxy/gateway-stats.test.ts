import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { createGateway, type Gateway } from '../../src/proxy/index.ts';
import { createClient, createMemoryRegistry, serverStream } from '../../src/runtime/index.ts';
import { closeAll, quietService } from '../helpers/fixtures.ts';

interface Stats {
  errors: number;
  cancelled: number;
}

describe("a browser leaving a gateway stream shows in the service's Debug.Stats as cancelled", () => {
  const registry = createMemoryRegistry();
  let released: () => void = () => {};
  const service = quietService({ name: 'ticker', registry });
  service.handle('Ticks', {
    Forever: serverStream(async function* () {
      try {
        for (let i = 0; ; i++) {
          yield { i };
          await new Promise((r) => setTimeout(r, 5));
        }
      } finally {
        released();
      }
    }),
  });
  const client = createClient({ registry });
  let gateway: Gateway;
  const stats = () => client.call<Stats>('ticker', 'Debug.Stats', {});
  const release = () => new Promise<void>((r) => (released = r));

  before(async () => {
    await service.start();
    gateway = await createGateway({ registry, address: '127.0.0.1:0', log: false });
  });
  after(() => closeAll(gateway, client, service, registry));

  it('counts server-sent events the client stopped reading as cancelled, not errors', async () => {
    const done = release();
    const abort = new AbortController();
    const res = await fetch(`http://${gateway.address}/ticker/ticks/forever`, {
      headers: { accept: 'text/event-stream' },
      signal: abort.signal,
    });
    assert.equal(res.status, 200);
    const reader = res.body?.getReader();
    const first = await reader?.read();
    assert.match(Buffer.from(first?.value ?? []).toString(), /^data: \{"i":0\}/);
    abort.abort();
    await done;
    const got = await stats();
    assert.equal(got.cancelled, 1);
    assert.equal(got.errors, 0);
  });

  it('counts a WebSocket the client closed as cancelled, not an error', async () => {
    const done = release();
    const ws = new WebSocket(`ws://${gateway.address}/ticker/ticks/forever`);
    await once(ws, 'open');
    ws.send('{}');
    const [first] = (await once(ws, 'message')) as [Buffer];
    assert.deepEqual(JSON.parse(first.toString()), { i: 0 });
    ws.close();
    await done;
    const got = await stats();
    assert.equal(got.cancelled, 2);
    assert.equal(got.errors, 0);
  });
});

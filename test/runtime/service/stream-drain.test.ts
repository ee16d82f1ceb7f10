import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createClient,
  createHttpTransport,
  createMemoryRegistry,
  serverStream,
  type Client,
  type MicroError,
  type ServiceOptions,
} from '../../../src/runtime/index.ts';
import { quietService } from '../../helpers/fixtures.ts';

/** A service with Slow.Two (yields 1, waits for `release`, yields 2) and Slow.Forever. */
async function start(options: Partial<ServiceOptions> = {}) {
  const registry = createMemoryRegistry();
  const service = quietService({ name: 'drainer', registry, ...options });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  service.handle('Slow', {
    Two: serverStream(async function* () {
      yield { n: 1 };
      await gate;
      yield { n: 2 };
    }),
    Forever: serverStream(async function* () {
      for (let n = 0; n < 100_000; n++) {
        yield { n };
        await new Promise((r) => setTimeout(r, 5));
      }
    }),
  });
  await service.start();
  return { registry, service, release, address: service.server.address };
}

/** Opens Slow.<endpoint> with one request; resolves with the iterator once the first message came. */
async function opened(
  client: Client,
  endpoint: string,
  options: { address: string; retries?: number },
): Promise<AsyncIterator<{ n: number }>> {
  const s = await client.stream<unknown, { n: number }>('drainer', `Slow.${endpoint}`, options);
  s.send({});
  s.end();
  const it = s[Symbol.asyncIterator]();
  assert.equal((await it.next()).done, false, 'a first message');
  return it;
}

describe('stopping a service with open streams', () => {
  for (const [label, transport] of [
    ['framed', undefined],
    ['WebSocket', () => createHttpTransport()],
  ] as const) {
    it(`lets a stream that ends within the drain period finish for its caller (${label})`, async () => {
      const { registry, service, release, address } = await start();
      const client: Client = createClient({ registry, transport: transport?.() });
      const it = await opened(client, 'Two', { address });
      const stopping = service.stop();
      // Stopping: new streams are refused (so callers go elsewhere), the open one goes on. (Framed:
      // over a WebSocket a stream refused at once reads as 502 "closed early", a transport matter.)
      const framed = createClient({ registry });
      await assert.rejects(
        opened(framed, 'Two', { address, retries: 0 }),
        (e: MicroError) => e.code === 503,
        'a stream opened while stopping is refused',
      );
      release();
      assert.deepEqual((await it.next()).value, { n: 2 });
      assert.equal((await it.next()).done, true, 'the stream ends normally, not with a 503');
      await stopping;
      await framed.close();
      await client.close();
      await registry.close();
    });
  }

  it('ends a stream still open after the drain period with a 503, having served it until then', async () => {
    const drain = 300;
    const { registry, service, address } = await start({ streamDrainTimeout: drain });
    const client = createClient({ registry });
    const it = await opened(client, 'Forever', { address });
    const t0 = Date.now();
    const stopping = service.stop();
    let after = 0;
    const err = await (async () => {
      try {
        for (let r = await it.next(); !r.done; r = await it.next()) after++;
      } catch (e) {
        return e as MicroError;
      }
      return undefined;
    })();
    const took = Date.now() - t0;
    assert.equal(err?.code, 503, `ended with ${err?.code ?? 'a normal end'}`);
    assert.match(err.detail, /shutting down/);
    assert.ok(took >= drain - 20, `the stream was ended after ${took} ms, before the drain period`);
    assert.ok(after > 3, `messages still came while draining (${after})`);
    await stopping;
    await client.close();
    await registry.close();
  });

  it('ends open streams at once with streamDrainTimeout 0', async () => {
    const { registry, service, address } = await start({ streamDrainTimeout: 0 });
    const client = createClient({ registry });
    const it = await opened(client, 'Two', { address });
    await service.stop();
    await assert.rejects(it.next(), (e: MicroError) => e.code === 503);
    await client.close();
    await registry.close();
  });
});

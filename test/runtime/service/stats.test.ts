import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  createClient,
  createHttpTransport,
  createMemoryRegistry,
  serverStream,
  type Client,
  type Context,
  type MicroError,
} from '../../../src/runtime/index.ts';
import { closeAll, quietService } from '../../helpers/fixtures.ts';

interface Stats {
  requests: number;
  errors: number;
  cancelled: number;
  inflight: number;
}

let hangStarted: () => void = () => {};

/** A service whose Forever stream tells when its handler let go, for counting what Debug.Stats says. */
function statsService(name: string, registry: ReturnType<typeof createMemoryRegistry>) {
  let released: () => void = () => {};
  const service = quietService({ name, registry });
  service.handle('Stream', {
    Forever: serverStream(async function* () {
      try {
        for (let i = 0; ; i++) {
          yield { i };
          await new Promise((r) => setImmediate(r));
        }
      } finally {
        released();
      }
    }),
    Broken: serverStream(async function* () {
      yield { i: 0 };
      throw new Error('ran out of data');
    }),
    Hang: async (_req: unknown, ctx: Context) => {
      const aborted = new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      hangStarted();
      await aborted;
      released();
      throw new Error('gave up');
    },
  });
  return {
    service,
    /** Resolves when a Forever stream's (or a Hang call's) handler is done. */
    release: () => new Promise<void>((r) => (released = r)),
  };
}

for (const [label, transport] of [
  ['framed', undefined],
  ['WebSocket/http', createHttpTransport],
] as const) {
  describe(`Debug.Stats counts abandoned streams as cancelled (${label})`, () => {
    const registry = createMemoryRegistry();
    const name = `stats-${label === 'framed' ? 'tcp' : 'http'}`;
    const { service, release } = statsService(name, registry);
    const client: Client = createClient({
      registry,
      ...(transport ? { transport: transport() } : {}),
    });
    const stats = () => client.call<Stats>(name, 'Debug.Stats', {});
    before(() => service.start());
    after(() => closeAll(client, service, registry));

    it('counts a stream the client closed after one message as cancelled, not an error', async () => {
      const released = release();
      const s = await client.stream<unknown, { i: number }>(name, 'Stream.Forever');
      s.send({});
      s.end();
      const it = s[Symbol.asyncIterator]();
      assert.deepEqual((await it.next()).value, { i: 0 });
      s.close();
      await released;
      const got = await stats();
      assert.equal(got.cancelled, 1);
      assert.equal(got.errors, 0);
      assert.equal(got.requests, 2, 'the stream and this Debug.Stats call');
    });

    it('counts a stream whose handler threw as an error', async () => {
      const s = await client.stream(name, 'Stream.Broken');
      s.send({});
      s.end();
      await assert.rejects(
        (async () => {
          for await (const _ of s);
        })(),
        (e: MicroError) => e.code === 500,
      );
      const got = await stats();
      assert.equal(got.errors, 1);
      assert.equal(got.cancelled, 1);
    });

    it('counts a call whose caller went away as cancelled', async () => {
      const started = new Promise<void>((r) => (hangStarted = r));
      const released = release();
      // The caller is a bare HTTP request (both transports take one on the port), dropped mid-call.
      const [node] = (await registry.getService(name))[0]?.nodes ?? [];
      const req = request(`http://${node?.address}/`, {
        method: 'POST',
        headers: { 'micro-endpoint': 'Stream.Hang', 'content-type': 'application/json' },
      });
      req.on('error', () => undefined);
      req.end('{}');
      await started;
      req.destroy();
      await released;
      const got = await stats();
      assert.equal(got.cancelled, 2);
      assert.equal(got.errors, 1);
      assert.equal(got.inflight, 1, 'only this Debug.Stats call');
    });

    // Only the framed client holds a connection whose closing cancels its calls.
    if (transport === undefined)
      it('counts a call the framed caller cancelled by closing its client as cancelled', async () => {
        const caller = createClient({ registry });
        const started = new Promise<void>((r) => (hangStarted = r));
        const released = release();
        caller.call(name, 'Stream.Hang', {}, { retries: 0 }).catch(() => undefined);
        await started;
        await caller.close();
        await released;
        const got = await stats();
        assert.equal(got.cancelled, 3);
        assert.equal(got.errors, 1);
      });
  });
}

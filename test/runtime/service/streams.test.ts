import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createClient,
  createMemoryRegistry,
  createHttpTransport,
  serverStream,
  type MicroError,
} from '../../../src/runtime/index.ts';
import { closeAll, counted, quietService, streamHandlers } from '../../helpers/fixtures.ts';

describe('streams through a service', () => {
  const registry = createMemoryRegistry();
  const service = quietService({ name: 'streamer', registry });
  service.handle('Stream', {
    ...streamHandlers(),
    Forever: serverStream(async function* () {
      for (let i = 0; ; i++) {
        yield { i };
        await new Promise((r) => setTimeout(r, 10));
      }
    }),
    Broken: serverStream(async function* () {
      yield { i: 0 };
      throw new Error('ran out of data');
    }),
    // Options first, as endpoint() takes them.
    Checked: serverStream(
      { request: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } },
      async function* (req: { n: number }) {
        yield { n: req.n };
      },
    ),
  });
  const tcp = createClient({ registry });
  const http = createClient({ registry, transport: createHttpTransport() });
  before(() => service.start());
  after(() => closeAll(tcp, http, service, registry));

  for (const [label, client] of [
    ['framed', tcp],
    ['WebSocket', http],
  ] as const) {
    it(`delivers a server stream of 1,000 messages complete and in order (${label})`, async () => {
      assert.deepEqual(
        await counted(client, 'streamer', 'Stream.Count', 1000),
        Array.from({ length: 1000 }, (_, i) => i),
      );
    });

    it(`sums a client stream (${label})`, async () => {
      const s = await client.stream<{ n: number }, { sum: number }>('streamer', 'Stream.Sum');
      for (let n = 1; n <= 100; n++) s.send({ n });
      s.end();
      const out: number[] = [];
      for await (const m of s) out.push(m.sum);
      assert.deepEqual(out, [5050]);
    });

    it(`echoes a bidirectional stream as it goes (${label})`, async () => {
      const s = await client.stream<{ word: string }, { word: string }>('streamer', 'Stream.Shout');
      const it = s[Symbol.asyncIterator]();
      for (const word of ['ann', 'bob']) {
        s.send({ word });
        assert.deepEqual((await it.next()).value, { word: word.toUpperCase() });
      }
      s.end();
      assert.equal((await it.next()).done, true);
    });

    it(`ends a stream with the handler's error after what it sent (${label})`, async () => {
      const s = await client.stream('streamer', 'Stream.Broken');
      s.send({});
      s.end();
      const got: unknown[] = [];
      await assert.rejects(
        (async () => {
          for await (const m of s) got.push(m);
        })(),
        (e: MicroError) => e.code === 500 && e.detail === 'ran out of data',
      );
      assert.deepEqual(got, [{ i: 0 }]);
    });
  }

  it('ends a stream that outlives its deadline with a 408, not a normal end', async () => {
    const s = await tcp.stream<unknown, { i: number }>('streamer', 'Stream.Forever', {
      timeout: 150,
    });
    s.send({});
    s.end();
    let got = 0;
    await assert.rejects(
      (async () => {
        for await (const _ of s) got++;
      })(),
      (e: MicroError) => e.code === 408,
    );
    assert.ok(got > 3, `some messages arrived first (${got})`);
  });

  it("checks a stream's request against the schema given before its function", async () => {
    const ok = await tcp.stream<{ n: unknown }, { n: number }>('streamer', 'Stream.Checked');
    ok.send({ n: 2 });
    ok.end();
    const got: unknown[] = [];
    for await (const m of ok) got.push(m);
    assert.deepEqual(got, [{ n: 2 }]);
    const bad = await tcp.stream<{ n: unknown }, unknown>('streamer', 'Stream.Checked');
    bad.send({ n: 'two' });
    bad.end();
    await assert.rejects(
      (async () => {
        for await (const _ of bad);
      })(),
      (e: MicroError) => e.code === 400 && /does not match its schema/.test(e.detail),
    );
    const [record] = await registry.getService('streamer');
    const checked = record?.endpoints.find((e) => e.name === 'Stream.Checked');
    assert.equal(checked?.metadata.stream, 'server');
    assert.deepEqual(checked?.request?.required, ['n']);
  });

  it('refuses a plain call to a stream endpoint with a 400 that says to open a stream', async () => {
    await assert.rejects(
      tcp.call('streamer', 'Stream.Count', { n: 1 }),
      (e: MicroError) => e.code === 400 && /stream/.test(e.detail),
    );
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createClient,
  createHttpTransport,
  createMemoryRegistry,
  createTcpTransport,
  MicroError,
  serverStream,
  type Client,
  type Context,
  type Service,
} from '../../../src/runtime/index.ts';
import { closeAll, quietService } from '../../helpers/fixtures.ts';
import { isErrorBody, rawExchange, rawRequest } from '../../helpers/raw-http.ts';

const HUGE = [2 ** 31, 2 ** 31 + 5, 1e12, Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY];
const GARBAGE = ['abc', '-5', '0', '', '12ms', 'NaN', 'Infinity'];

// Deadlines past what a Node timer holds (2^31-1 ms) wait long instead of firing at once; garbage is a 400.
describe('deadlines', { timeout: 60_000 }, () => {
  const registry = createMemoryRegistry();
  let svc: Service;
  let tcp: Client;
  let http: Client;
  let port = 0;
  const transport = createTcpTransport();
  const httpTransport = createHttpTransport();

  before(async () => {
    svc = quietService({ name: 'clock', registry });
    svc.handle('Wait', {
      async Signal(_req: unknown, ctx: Context) {
        const signal = ctx.signal;
        await new Promise((r) => setTimeout(r, 30));
        return { aborted: signal.aborted, finite: Number.isFinite(ctx.deadline) };
      },
      Ticks: serverStream(async function* (_req: unknown, ctx: Context) {
        for (let i = 0; i < 3; i++) {
          await new Promise((r) => setTimeout(r, 10));
          yield { i, aborted: ctx.signal.aborted };
        }
      }),
    });
    await svc.start();
    port = Number(svc.server.address.split(':').pop());
    tcp = createClient({ registry, transport: createTcpTransport() });
    http = createClient({ registry, transport: createHttpTransport() });
  });
  after(() => closeAll(tcp, http, transport, httpTransport, svc, registry));

  for (const [label, client] of [
    ['framed', () => tcp],
    ['http', () => http],
  ] as const) {
    it(`lets a call with a huge timeout succeed, its signal not aborted (${label})`, async () => {
      for (const timeout of HUGE) {
        const res = await client().call<{ aborted: boolean }>(
          'clock',
          'Wait.Signal',
          {},
          {
            timeout,
            retries: 0,
          },
        );
        assert.equal(res.aborted, false, `timeout ${timeout}`);
      }
    });

    it(`lets a stream with a huge timeout run to its end (${label})`, async () => {
      for (const timeout of HUGE) {
        const stream = await client().stream<unknown, { i: number; aborted: boolean }>(
          'clock',
          'Wait.Ticks',
          { timeout },
        );
        stream.send({});
        stream.end();
        const got: { i: number; aborted: boolean }[] = [];
        for await (const m of stream) got.push(m);
        assert.deepEqual(
          got.map((m) => m.aborted),
          [false, false, false],
          `timeout ${timeout}`,
        );
      }
    });
  }

  const header = (timeout: string): Record<string, string> => ({
    'micro-service': 'clock',
    'micro-endpoint': 'Wait.Signal',
    'micro-timeout': timeout,
  });

  it('serves a framed call whose Micro-Timeout is past 2^31-1 ms, and refuses garbage with 400', async () => {
    const address = svc.server.address;
    for (const t of ['2147483648', '99999999999999999999', '1500.5']) {
      const reply = await transport.call(
        address,
        { header: header(t), body: Buffer.from('{}') },
        5000,
      );
      assert.equal(reply.error, undefined, `${t}: ${Buffer.from(reply.body).toString()}`);
      assert.deepEqual(JSON.parse(Buffer.from(reply.body).toString()), {
        aborted: false,
        finite: true,
      });
    }
    for (const t of GARBAGE) {
      const reply = await transport.call(
        address,
        { header: header(t), body: Buffer.from('{}') },
        5000,
      );
      const text = Buffer.from(reply.body).toString();
      assert.equal(reply.error, true, t);
      assert.ok(isErrorBody(text, 400), `${t}: ${text}`);
      assert.match(text, /Micro-Timeout/);
    }
  });

  it('refuses a framed stream whose Micro-Timeout is garbage with 400', async () => {
    const pipe = await transport.stream(svc.server.address, {
      header: { ...header('soon'), 'micro-endpoint': 'Wait.Ticks' },
      body: Buffer.alloc(0),
    });
    // Without a request the stream fails anyway (400 for the missing request): bounded either way.
    pipe.send(Buffer.from('{}'));
    pipe.end();
    await assert.rejects(
      async () => {
        for await (const _ of pipe) {
          // no messages expected
        }
      },
      (err: MicroError) => err.code === 400 && /Micro-Timeout/.test(err.detail),
    );
  });

  it('serves an HTTP call whose Micro-Timeout is past 2^31-1 ms, and refuses garbage with 400', async () => {
    const call = (t: string): string => rawRequest(port, { headers: header(t), body: '{}' });
    const ok = await rawExchange(port, [call('2147483648')], { untilResponse: true });
    assert.equal(ok.status, 200, ok.body);
    assert.deepEqual(JSON.parse(ok.body), { aborted: false, finite: true });
    for (const t of GARBAGE) {
      const res = await rawExchange(port, [call(t)], { untilResponse: true });
      assert.equal(res.status, 400, `${t}: ${res.body}`);
      assert.ok(isErrorBody(res.body, 400), res.body);
      assert.match(res.body, /Micro-Timeout/);
    }
  });

  it('refuses a WebSocket stream whose Micro-Timeout is garbage with an HTTP 400', async () => {
    const res = await rawExchange(
      port,
      [
        rawRequest(port, {
          method: 'GET',
          headers: {
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
            'sec-websocket-version': '13',
            ...header('-1'),
          },
        }),
      ],
      { untilResponse: true },
    );
    assert.equal(res.status, 400);
    assert.ok(isErrorBody(res.body, 400), res.body);
    assert.match(res.body, /Micro-Timeout/);
  });
});

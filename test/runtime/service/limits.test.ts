// Caller limits and client bulkheads over real sockets (TCP and the HTTP side of a node's port):
// what a caller over its share sees (429 or 503 with a retry-after), and that others are served.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import {
  createClient,
  createHttpTransport,
  createMemoryRegistry,
  MicroError,
  serverStream,
  type CallerLimits,
  type Client,
  type Service,
} from '../../../src/runtime/index.ts';
import { quietService } from '../../helpers/fixtures.ts';

/** A gate handlers wait at: `entered` counts arrivals, `arrived(n)` resolves once n have. */
function gate() {
  let open!: () => void;
  let opened = new Promise<void>((r) => (open = r));
  let entered = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  return {
    get entered() {
      return entered;
    },
    async pass(): Promise<void> {
      entered++;
      for (const w of waiters) if (entered >= w.n) w.resolve();
      await opened;
    },
    arrived: (n: number): Promise<void> =>
      entered >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    open: () => open(),
    reset() {
      opened = new Promise<void>((r) => (open = r));
      entered = 0;
      waiters.length = 0;
    },
  };
}

/** The error a promise rejects with (a MicroError), or a failure if it resolves. */
async function refusal(p: Promise<unknown>): Promise<MicroError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof MicroError, String(err));
    return err;
  }
  assert.fail('expected a refusal');
}

describe('caller limits and bulkheads over real sockets', () => {
  const registry = createMemoryRegistry();
  const g = gate();
  const services: Service[] = [];
  const clients: Client[] = [];
  const client = (name: string, more: Parameters<typeof createClient>[0] = {}): Client => {
    const c = createClient({ registry, name, ...more });
    clients.push(c);
    return c;
  };
  const serve = async (name: string, limits?: CallerLimits): Promise<Service> => {
    const s = quietService({ name, registry, address: '127.0.0.1:0', limits });
    s.handle('Gate', {
      Wait: async () => {
        await g.pass();
        return { ok: true };
      },
      Echo: async (req: unknown) => req,
      Hold: serverStream(async function* () {
        yield 'open';
        await g.pass();
      }),
    });
    await s.start();
    services.push(s);
    return s;
  };
  let rated: Service;

  before(async () => {
    await serve('metered', { maxInFlight: 2, maxQueue: 1, queueTimeout: 60_000 });
    rated = await serve('rated', { rate: 0.001 });
    await serve('hasty', { maxInFlight: 1, maxQueue: 1, queueTimeout: 50 });
    await serve('streamy', { maxInFlight: 1 });
    await serve('patient', { maxInFlight: 1, maxQueue: 1, queueTimeout: 60_000 });
    await serve('open');
  });
  after(async () => {
    g.open();
    for (const c of clients) await c.close();
    for (const s of services) await s.stop();
  });

  it('queues a caller past its calls in flight, refuses it past the queue with 429, serves others', async () => {
    g.reset();
    const a = client('a');
    const held = [a.call('metered', 'Gate.Wait', {}), a.call('metered', 'Gate.Wait', {})];
    await g.arrived(2);
    // Two in flight: of three more, one waits in the queue and two are refused at once.
    const more = [0, 1, 2].map(() =>
      a.call('metered', 'Gate.Wait', {}).then(
        () => 'served',
        (err: MicroError) => err,
      ),
    );
    const refused = await settledTwo(more);
    assert.equal(refused.length, 2);
    for (const e of refused) {
      assert.equal(e.code, 429, e.detail);
      assert.equal(e.id, 'metered');
      assert.ok(e.retryAfter !== undefined && e.retryAfter >= 1, 'retryAfter set from the header');
      assert.match(
        e.detail,
        /2 calls and streams in flight on metered and 1 queued, its limit; retry after 1 s/,
      );
    }
    // Another caller, and the built-in endpoints, are served meanwhile.
    assert.deepEqual(await client('b').call('metered', 'Gate.Echo', { n: 1 }), { n: 1 });
    await a.call('metered', 'Debug.Health', {});
    g.open();
    assert.deepEqual(await Promise.all(held), [{ ok: true }, { ok: true }]);
    assert.equal((await Promise.all(more)).filter((r) => r === 'served').length, 1);
    assert.equal(g.entered, 3, 'the queued call ran once a slot was free; the refused never ran');
  });

  it('does not run a queued call whose caller gave up', async () => {
    g.reset();
    const a = client('q');
    const held = a.call('patient', 'Gate.Wait', {});
    await g.arrived(1);
    const e = await refusal(a.call('patient', 'Gate.Wait', {}, { timeout: 100, retries: 0 }));
    assert.equal(e.code, 408);
    g.open();
    await held;
    assert.deepEqual(await a.call('patient', 'Gate.Echo', 'next'), 'next');
    assert.equal(g.entered, 1, 'the call that left the queue never reached its handler');
  });

  it('refuses a queued call whose wait ran out with 429', async () => {
    g.reset();
    const a = client('a2');
    const held = a.call('hasty', 'Gate.Wait', {});
    await g.arrived(1);
    const e = await refusal(a.call('hasty', 'Gate.Wait', {}));
    assert.equal(e.code, 429);
    assert.match(e.detail, /waited 50 ms for one of its 1 slots on hasty; retry after 1 s/);
    g.open();
    await held;
  });

  it('counts a stream while it is open, and refuses a stream past the limit with 429', async () => {
    g.reset();
    const s = client('s');
    const first = await s.stream('streamy', 'Gate.Hold');
    first.send({});
    first.end();
    const it = first[Symbol.asyncIterator]();
    assert.deepEqual(await it.next(), { value: 'open', done: false });
    const call = await refusal(s.call('streamy', 'Gate.Echo', {}));
    assert.equal(call.code, 429);
    const second = await s.stream('streamy', 'Gate.Hold');
    second.send({});
    second.end();
    const e = await refusal(
      (async () => {
        for await (const _ of second) void _;
      })(),
    );
    assert.equal(e.code, 429);
    assert.equal(e.retryAfter, 1, 'the error frame of a stream carries retry-after too');
    g.open();
    assert.equal((await it.next()).done, true);
    // Its slot is freed once the stream is done on the server: the next call gets through.
    let answered: unknown;
    for (let i = 0; i < 200 && answered === undefined; i++) {
      answered = await s.call('streamy', 'Gate.Echo', 'hi').catch((err: MicroError) => {
        assert.equal(err.code, 429);
        return new Promise((r) => setTimeout(() => r(undefined), 10));
      });
    }
    assert.equal(answered, 'hi');
  });

  it('limits a caller to its rate over RPC and over HTTP, with a retry-after', async () => {
    const a = client('ra');
    assert.deepEqual(await a.call('rated', 'Gate.Echo', 1), 1);
    const e = await refusal(a.call('rated', 'Gate.Echo', 2));
    assert.equal(e.code, 429);
    assert.match(
      e.detail,
      /this caller called rated more than 0\.001 times a second; retry after \d+ s/,
    );
    assert.ok(e.retryAfter !== undefined && e.retryAfter >= 1);
    // The client over the http transport reads the Retry-After of the HTTP answer.
    const overHttp = client('rh', { transport: createHttpTransport() });
    await overHttp.call('rated', 'Gate.Echo', 1);
    const h = await refusal(overHttp.call('rated', 'Gate.Echo', 2));
    assert.equal(h.code, 429);
    assert.ok(h.retryAfter !== undefined && h.retryAfter >= 1);
    assert.deepEqual(
      await client('rb').call('rated', 'Gate.Echo', 3),
      3,
      'another caller is served',
    );

    // A plain HTTP client on the node's port: the status, Retry-After and the error shape.
    const post = (from: string) =>
      request(`http://${rated.server.address}/`, {
        method: 'POST',
        headers: {
          'micro-endpoint': 'Gate.Echo',
          'micro-from-service': from,
          'content-type': 'application/json',
        },
        body: '{}',
      });
    const ok = await post('curl');
    assert.equal(ok.statusCode, 200);
    await ok.body.text();
    const res = await post('curl');
    const body = (await res.body.json()) as Record<string, unknown>;
    assert.equal(res.statusCode, 429);
    assert.match(String(res.headers['retry-after']), /^[1-9]\d*$/);
    assert.deepEqual([body.code, body.id, body.status], [429, 'rated', 'Too Many Requests']);
  });

  it('rejects the (maxInFlight + maxQueue + 1)th concurrent call of a client bulkhead with 503', async () => {
    g.reset();
    const c = client('bulky', {
      policy: {
        targets: { open: { bulkhead: { maxInFlight: 2, maxQueue: 1, queueTimeout: 60_000 } } },
      },
    });
    const calls = [0, 1, 2].map(() => c.call('open', 'Gate.Wait', {}));
    const e = await refusal(c.call('open', 'Gate.Wait', {}));
    assert.equal(e.code, 503);
    assert.equal(e.id, 'micro.client');
    assert.equal(e.retryAfter, 1);
    assert.match(
      e.detail,
      /the bulkhead of open is full \(2 in flight, 1 queued\); retry after 1 s/,
    );
    // Other targets are not behind this bulkhead.
    assert.deepEqual(await c.call('metered', 'Gate.Echo', 'x'), 'x');
    await g.arrived(2);
    assert.equal(g.entered, 2, 'the server saw only the calls in flight');
    g.open();
    assert.equal((await Promise.all(calls)).length, 3, 'the queued call went through');
  });

  it('holds a slot per endpoint with perEndpoint, streams included', async () => {
    g.reset();
    const c = client('per', {
      policy: { default: { bulkhead: { perEndpoint: 1 } } },
    });
    const waiting = c.call('open', 'Gate.Wait', {});
    assert.equal((await refusal(c.call('open', 'Gate.Wait', {}))).code, 503);
    assert.deepEqual(await c.call('open', 'Gate.Echo', 'y'), 'y', 'another endpoint has its own');
    const st = await c.stream('open', 'Gate.Hold');
    const e = await refusal(c.stream('open', 'Gate.Hold'));
    assert.match(e.detail, /the bulkhead of open Gate\.Hold is full/);
    st.close();
    const again = await c.stream('open', 'Gate.Hold');
    again.close();
    g.open();
    await waiting;
  });
});

/** Resolves with the first two results that are errors, in the order they settle. */
function settledTwo(results: Promise<unknown>[]): Promise<MicroError[]> {
  const errors: MicroError[] = [];
  return new Promise((resolve) => {
    for (const r of results)
      void r.then((v) => {
        if (v instanceof MicroError) errors.push(v);
        if (errors.length === 2) resolve(errors);
      });
  });
}

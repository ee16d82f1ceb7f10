import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { after, before, describe, it } from 'node:test';
import {
  composeObservers,
  createClient,
  createMemoryBroker,
  createMemoryRegistry,
  forbidden,
  internalServerError,
  serverStream,
  type Context,
  type GuardCall,
  type MicroError,
  type ObservedRequest,
  type Observer,
  type Service,
} from '../../src/runtime/index.ts';
import { quietService } from '../helpers/fixtures.ts';

interface Seen {
  request: ObservedRequest;
  ended?: { code: number | undefined; cancelled: boolean };
}

/** A plain observer: records each request and how it ended; `run` puts the request in `als`. */
function recorder(als: AsyncLocalStorage<string>, seen: Seen[], ended: () => void): Observer {
  return (request) => {
    const s: Seen = { request };
    seen.push(s);
    return {
      run: (fn) => als.run(`${request.kind}:${request.endpoint}`, fn),
      end(error: MicroError | undefined, cancelled: boolean) {
        assert.equal(s.ended, undefined, 'end is told once');
        s.ended = { code: error?.code, cancelled };
        ended();
      },
    };
  };
}

describe('the server observer', () => {
  const registry = createMemoryRegistry();
  const broker = createMemoryBroker();
  const als = new AsyncLocalStorage<string>();
  const seen: Seen[] = [];
  const inside: (string | undefined)[] = [];
  let waiters: (() => void)[] = [];
  const ended = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  const nextEnd = (): Promise<void> => new Promise((r) => waiters.push(r));
  let svc: Service;
  const client = createClient({ registry, broker });

  before(async () => {
    svc = quietService({
      name: 'watched',
      registry,
      broker,
      observe: recorder(als, seen, ended),
      guard: (call: GuardCall) => {
        inside.push(`guard ${als.getStore()}`);
        if (call.metadata.authorization === 'no') throw forbidden(call.service, 'no');
        return undefined;
      },
    });
    svc.handle('Echo', {
      async Say(req: { fail?: boolean }, _ctx: Context) {
        await Promise.resolve();
        inside.push(als.getStore());
        if (req.fail) throw new Error('broken');
        return { ok: true };
      },
      Count: serverStream(async function* () {
        await Promise.resolve();
        yield als.getStore();
        yield 2;
      }),
    });
    svc.subscribe('ticks', async (m) => {
      await Promise.resolve();
      inside.push(als.getStore());
      if ((m as { fail?: boolean }).fail) throw internalServerError('watched', 'tick failed');
    });
    await svc.start();
  });
  after(async () => {
    await svc.stop();
    await client.close();
    waiters = [];
  });

  it('is shown a call as it arrives and told it ended well; run wraps guard and handler', async () => {
    seen.length = 0;
    inside.length = 0;
    assert.deepEqual(await client.call('watched', 'Echo.Say', {}, { metadata: { k: 'v' } }), {
      ok: true,
    });
    assert.equal(seen.length, 1);
    const s = seen[0]!;
    assert.equal(s.request.service, 'watched');
    assert.equal(s.request.endpoint, 'Echo.Say');
    assert.equal(s.request.kind, 'call');
    assert.equal(s.request.metadata.k, 'v');
    assert.match(s.request.remote, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(s.ended, { code: undefined, cancelled: false });
    assert.deepEqual(inside, ['guard call:Echo.Say', 'call:Echo.Say']);
  });

  it('is told the error of a failing, refused or unknown call', async () => {
    seen.length = 0;
    await assert.rejects(client.call('watched', 'Echo.Say', { fail: true }, { retries: 0 }));
    await assert.rejects(
      client.call('watched', 'Echo.Say', {}, { metadata: { authorization: 'no' }, retries: 0 }),
    );
    await assert.rejects(client.call('watched', 'Echo.Nope', {}, { retries: 0 }));
    assert.deepEqual(
      seen.map((s) => [s.request.endpoint, s.ended?.code]),
      [
        ['Echo.Say', 500],
        ['Echo.Say', 403],
        ['Echo.Nope', 404],
      ],
    );
  });

  it('watches a stream for its whole life, inside run', async () => {
    seen.length = 0;
    const s = await client.stream('watched', 'Echo.Count');
    s.send({});
    s.end();
    const got: unknown[] = [];
    for await (const m of s) got.push(m);
    assert.deepEqual(got, ['stream:Echo.Count', 2]);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.request.kind, 'stream');
    assert.deepEqual(seen[0]!.ended, { code: undefined, cancelled: false });
  });

  it('watches each event delivered to a subscriber, and its failure', async () => {
    seen.length = 0;
    inside.length = 0;
    let done = nextEnd();
    await client.publish('ticks', { n: 1 }, { metadata: { traceparent: 'x' } });
    await done;
    done = nextEnd();
    await client.publish('ticks', { fail: true }).catch(() => undefined);
    await done;
    assert.deepEqual(
      seen.map((s) => [s.request.kind, s.request.endpoint, s.request.remote, s.ended?.code]),
      [
        ['event', 'ticks', '', undefined],
        ['event', 'ticks', '', 500],
      ],
    );
    assert.equal(seen[0]!.request.metadata.traceparent, 'x');
    assert.deepEqual(inside, [
      'guard event:ticks',
      'event:ticks',
      'guard event:ticks',
      'event:ticks',
    ]);
  });

  it('composes several, the first outermost, each told the end', async () => {
    const order: string[] = [];
    const mark =
      (name: string): Observer =>
      () => ({
        run: (fn) => {
          order.push(`in ${name}`);
          return fn();
        },
        end: (e) => order.push(`end ${name} ${e?.code ?? 'ok'}`),
      });
    assert.equal(composeObservers([undefined, undefined]), undefined);
    const one = mark('a');
    assert.equal(composeObservers([undefined, one]), one);
    const both = composeObservers([mark('a'), () => undefined, mark('b')])!;
    const o = both({ service: 's', endpoint: 'E.M', kind: 'call', metadata: {}, remote: '' })!;
    assert.equal(
      o.run(() => 7),
      7,
    );
    o.end(undefined, false);
    assert.deepEqual(order, ['in a', 'in b', 'end a ok', 'end b ok']);
  });
});

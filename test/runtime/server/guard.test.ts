import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createClient,
  createMemoryBroker,
  createMemoryRegistry,
  forbidden,
  serverStream,
  unauthorized,
  type Caller,
  type Context,
  type GuardCall,
  type MicroError,
  type Service,
} from '../../../src/runtime/index.ts';
import { quietService } from '../../helpers/fixtures.ts';

const who = (id: string): Caller => ({ id, type: 'user', roles: [], scopes: [], metadata: {} });

/** A guard by the `authorization` metadata: `ok` and `slow` (async) pass, `no` is a 403, `boom` throws. */
function guard(seen: GuardCall[]) {
  return (call: GuardCall): Caller | undefined | Promise<Caller | undefined> => {
    seen.push(call);
    const a = call.metadata.authorization;
    if (a === undefined) throw unauthorized(call.service, 'no token');
    if (a === 'ok') return who('ann');
    if (a === 'slow') return Promise.resolve(who('sam'));
    if (a === 'anon') return undefined;
    if (a === 'boom') throw new Error('the guard broke: secret-internals');
    throw forbidden(call.service, `may not ${call.endpoint}`);
  };
}

describe('the server guard', () => {
  const registry = createMemoryRegistry();
  const broker = createMemoryBroker();
  const seen: GuardCall[] = [];
  const errors: string[] = [];
  const events: { n: number; caller?: string }[] = [];
  let svc: Service;
  let open: Service;
  const client = createClient({ registry, broker });

  before(async () => {
    svc = quietService({
      name: 'guarded',
      registry,
      broker,
      guard: guard(seen),
      logger: { info() {}, warn: (m) => errors.push(m), error: (m) => errors.push(m) },
    });
    svc.handle('Who', {
      async Am(req: { body?: string }, ctx: Context) {
        return { id: ctx.caller?.id ?? null, body: req.body ?? null };
      },
      Count: serverStream(async function* (_req: unknown, ctx: Context) {
        yield ctx.caller?.id ?? null;
        yield 2;
      }),
    });
    svc.subscribe('ticks', (m, ctx) => {
      events.push({ n: (m as { n: number }).n, caller: ctx.caller?.id });
    });
    open = quietService({ name: 'open', registry });
    open.handle('Who', {
      Am: async (_r: unknown, ctx: Context) => ({ caller: ctx.caller ?? null }),
    });
    await svc.start();
    await open.start();
  });
  after(async () => {
    await svc.stop();
    await open.stop();
    await client.close();
  });

  const call = (auth?: string, body: unknown = {}) =>
    client.call<{ id: string | null }>('guarded', 'Who.Am', body, {
      metadata: auth === undefined ? {} : { authorization: auth },
      retries: 0,
    });

  it('gives the handler the caller it names, sync or async', async () => {
    assert.deepEqual(await call('ok', { body: 'x' }), { id: 'ann', body: 'x' });
    assert.deepEqual(await call('slow'), { id: 'sam', body: null });
    assert.deepEqual(await call('anon'), { id: null, body: null });
    const last = seen.at(-1)!;
    assert.equal(last.service, 'guarded');
    assert.equal(last.endpoint, 'Who.Am');
    assert.equal(last.kind, 'call');
    assert.match(last.remote, /^127\.0\.0\.1:\d+$/);
  });

  it('answers with what it throws, before the body is read', async () => {
    await assert.rejects(call(undefined), (e: MicroError) => e.code === 401);
    await assert.rejects(
      call('nope'),
      (e: MicroError) => e.code === 403 && /Who\.Am/.test(e.detail),
    );
    // A body that is no JSON would be a 400 if it were decoded first.
    const res = await fetch(`http://${svc.server.address}/`, {
      method: 'POST',
      headers: { 'micro-endpoint': 'Who.Am', 'content-type': 'application/json' },
      body: '{not json',
    });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as MicroError).detail, 'no token');
    const ok = await fetch(`http://${svc.server.address}/`, {
      method: 'POST',
      headers: {
        'micro-endpoint': 'Who.Am',
        'content-type': 'application/json',
        authorization: 'ok',
      },
      body: '{}',
    });
    assert.deepEqual(await ok.json(), { id: 'ann', body: null });
  });

  it('does not list what it serves to a caller of an unknown endpoint, nobody checked yet', async () => {
    await assert.rejects(
      client.call('guarded', 'Who.Nope', {}),
      (e: MicroError) => e.code === 404 && !/serves|Who\.Am/.test(e.detail),
    );
  });

  it('turns anything else it throws into a 500 that tells the caller nothing of it', async () => {
    await assert.rejects(
      call('boom'),
      (e: MicroError) => e.code === 500 && !e.detail.includes('secret-internals'),
    );
    assert.ok(errors.some((l) => l.includes('the guard broke')));
  });

  it('guards the opening of a stream', async () => {
    const s = await client.stream('guarded', 'Who.Count', { metadata: { authorization: 'ok' } });
    s.send({});
    s.end();
    const got: unknown[] = [];
    for await (const m of s) got.push(m);
    assert.deepEqual(got, ['ann', 2]);
    assert.equal(seen.at(-1)!.kind, 'stream');
    const refused = await client.stream('guarded', 'Who.Count', {
      metadata: { authorization: 'nope' },
    });
    refused.send({});
    refused.end();
    await assert.rejects(
      (async () => {
        for await (const _ of refused);
      })(),
      (e: MicroError) => e.code === 403,
    );
  });

  it('guards each event delivered to a subscriber, by its topic', async () => {
    await client.publish('ticks', { n: 1 }, { metadata: { authorization: 'nope' } });
    await client.publish('ticks', { n: 2 }, { metadata: { authorization: 'ok' } });
    for (let i = 0; i < 100 && events.length === 0; i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(events, [{ n: 2, caller: 'ann' }]);
    const e = seen.filter((c) => c.kind === 'event');
    assert.deepEqual(
      e.map((c) => c.endpoint),
      ['ticks', 'ticks'],
    );
    assert.ok(errors.some((l) => l.includes('refused an event on ticks')));
  });

  it('leaves a service with no guard as it was: no caller', async () => {
    const r = await client.call('open', 'Who.Am', {}, { metadata: { authorization: 'ok' } });
    assert.deepEqual(r, { caller: null });
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createClient,
  createMemoryRegistry,
  MicroError,
  type Client,
  type Context,
  type Service,
} from '../../../src/runtime/index.ts';
import { closeAll, quietService, sayHello } from '../../helpers/fixtures.ts';

// One process, real sockets: services on 127.0.0.1 with the framed transport, found through a memory registry.
describe('calling a service', () => {
  const registry = createMemoryRegistry();
  let greeter: Service;
  let front: Service;
  let client: Client;
  const seen: { deadline?: number; aborted?: boolean; started?: number } = {};
  let crashes = 0;
  let sleepDone!: () => void;
  const slept = new Promise<void>((r) => (sleepDone = r));

  before(async () => {
    greeter = quietService({ name: 'greeter', registry });
    greeter.handle('Say', {
      Hello: sayHello(),
      async Whoami(_req: unknown, ctx: Context) {
        ctx.responseMetadata['x-node'] = greeter.server.id;
        return { user: ctx.metadata['x-user'], from: ctx.from ?? null, deadline: ctx.deadline };
      },
      async Oversized(_req: unknown, ctx: Context) {
        ctx.responseMetadata['x-huge'] = 'x'.repeat(70_000);
        return {};
      },
      async Nothing() {},
      async Crash() {
        crashes++;
        throw new Error('database exploded');
      },
      async Sleep(_req: unknown, ctx: Context) {
        seen.started = Date.now();
        seen.deadline = ctx.deadline;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 1000);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(t);
            resolve();
          });
        });
        seen.aborted = ctx.signal.aborted;
        sleepDone();
        return {};
      },
    });
    await greeter.start();
    front = quietService({ name: 'front', registry });
    front.handle('Front', {
      async Relay(req: { name: string }, ctx: Context) {
        return ctx.call('greeter', 'Say.Whoami', req, { metadata: { 'x-hop': '2' } });
      },
    });
    await front.start();
    client = createClient({ registry });
  });
  after(() => closeAll(client, front, greeter, registry));

  it('answers Say.Hello with the greeting', async () => {
    assert.deepEqual(await client.call('greeter', 'Say.Hello', { name: 'Ann' }), {
      msg: 'Hello Ann',
    });
  });

  it('answers in msgpack when asked in msgpack', async () => {
    assert.deepEqual(
      await client.call(
        'greeter',
        'Say.Hello',
        { name: 'Bo' },
        { contentType: 'application/msgpack' },
      ),
      { msg: 'Hello Bo' },
    );
  });

  it('rejects a request that does not match the schema with a 400 naming the field', async () => {
    await assert.rejects(client.call('greeter', 'Say.Hello', { name: 5 }), (e: MicroError) => {
      assert.equal(e.code, 400);
      assert.match(e.detail, /\/name must be string/);
      return true;
    });
    await assert.rejects(
      client.call('greeter', 'Say.Hello', {}),
      (e: MicroError) => e.code === 400 && /name/.test(e.detail),
    );
  });

  it('gives a 404 for an unknown endpoint, listing the ones it has', async () => {
    await assert.rejects(client.call('greeter', 'Say.Goodbye', {}), (e: MicroError) => {
      assert.equal(e.code, 404);
      assert.match(e.detail, /Say\.Goodbye.*Say\.Hello/);
      return true;
    });
  });

  it('gives a 404 for an unknown service, naming the registry asked', async () => {
    await assert.rejects(
      client.call('nobody', 'Say.Hello', {}),
      (e: MicroError) => e.code === 404 && /nobody.*memory/.test(e.detail),
    );
  });

  it('turns a crashing handler into a 500 with a detail and no stack, and stays up', async () => {
    await assert.rejects(
      client.call('greeter', 'Say.Crash', {}, { retries: 0 }),
      (e: MicroError) => {
        assert.deepEqual(Object.keys(e.toJSON()).sort(), ['code', 'detail', 'id', 'status']);
        assert.equal(e.code, 500);
        assert.equal(e.detail, 'database exploded');
        assert.doesNotMatch(JSON.stringify(e), /\.ts:\d+/);
        return true;
      },
    );
    assert.equal(crashes, 1);
    assert.deepEqual(await client.call('greeter', 'Say.Hello', { name: 'still here' }), {
      msg: 'Hello still here',
    });
  });

  it('fails a 200 ms call to a 1 s handler with 408 after about 200 ms, and the handler sees its deadline', async () => {
    const started = Date.now();
    await assert.rejects(
      client.call('greeter', 'Say.Sleep', {}, { timeout: 200 }),
      (e: MicroError) => e.code === 408,
    );
    const took = Date.now() - started;
    assert.ok(took >= 190 && took < 600, `took ${took} ms`);
    const deadline = seen.deadline ?? 0;
    assert.ok(
      Math.abs(deadline - (started + 200)) < 100,
      `deadline ${deadline - started} ms after the call`,
    );
    await slept;
    assert.equal(seen.aborted, true, 'the handler was told to stop');
  });

  it('answers a reply whose metadata cannot fit a frame with an error, and stays up', async () => {
    await assert.rejects(
      client.call('greeter', 'Say.Oversized', {}, { retries: 0 }),
      (e: MicroError) => e.code === 502 && /header too large/.test(e.detail),
    );
    assert.equal(
      await client.call('greeter', 'Say.Nothing', {}),
      null,
      'a handler that returns nothing answers null',
    );
  });

  it('refuses a call meant for another service with a 503, so the caller tries elsewhere', async () => {
    const [s] = await registry.getService('greeter');
    const address = s?.nodes[0]?.address ?? '';
    await assert.rejects(
      client.call('billing', 'Say.Hello', { name: 'x' }, { address, retries: 0 }),
      (e: MicroError) => e.code === 503 && /serves greeter, not billing/.test(e.detail),
    );
  });

  it('carries metadata both ways, with the caller service name', async () => {
    const rsp = await client.request<{ user: string; from: string | null }>(
      'greeter',
      'Say.Whoami',
      {},
      { metadata: { 'X-User': 'ann' } },
    );
    assert.equal(rsp.body.user, 'ann');
    assert.equal(rsp.body.from, null);
    assert.equal(rsp.metadata['x-node'], greeter.server.id);
    const relayed = await client.call<{ user: string; from: string }>(
      'front',
      'Front.Relay',
      {},
      { metadata: { 'x-user': 'bob' } },
    );
    assert.equal(relayed.user, 'bob', 'metadata cascades through ctx.call');
    assert.equal(relayed.from, 'front');
  });

  it('cascades the deadline to the next hop', async () => {
    const started = Date.now();
    const relayed = await client.call<{ deadline: number }>(
      'front',
      'Front.Relay',
      {},
      { timeout: 700 },
    );
    assert.ok(
      relayed.deadline <= started + 700 + 20,
      'the next hop may not get more time than the caller had',
    );
    assert.ok(relayed.deadline > started + 300);
  });

  it('counts requests in Debug.Stats and answers Debug.Health', async () => {
    assert.equal(
      (await client.call<{ status: string }>('greeter', 'Debug.Health', {})).status,
      'ok',
    );
    const stats = await client.call<{
      requests: number;
      errors: number;
      uptime: number;
      memory: number;
    }>('greeter', 'Debug.Stats', {});
    assert.ok(stats.requests >= 5);
    assert.ok(stats.errors >= 1);
    assert.ok(stats.memory > 0);
  });

  it('advertises endpoints with their schemas, and hides Debug', async () => {
    const [s] = await registry.getService('greeter');
    const names = s?.endpoints.map((e) => e.name).sort();
    assert.deepEqual(names, [
      'Say.Crash',
      'Say.Hello',
      'Say.Nothing',
      'Say.Oversized',
      'Say.Sleep',
      'Say.Whoami',
    ]);
    assert.deepEqual(s?.endpoints.find((e) => e.name === 'Say.Hello')?.request?.required, ['name']);
  });
});

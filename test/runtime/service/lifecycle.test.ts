import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createClient,
  createMemoryRegistry,
  type Context,
  type MicroError,
} from '../../../src/runtime/index.ts';
import { quietService, record } from '../../helpers/fixtures.ts';

describe('service lifecycle', () => {
  it('registers on start and deregisters on stop', async () => {
    const registry = createMemoryRegistry();
    const s = quietService({ name: 'life', registry });
    s.handle('A', { async B() {} });
    await s.start();
    const [found] = await registry.getService('life');
    assert.equal(found?.nodes[0]?.address, s.server.address);
    await s.stop();
    await assert.rejects(registry.getService('life'));
    await registry.close();
  });

  it('finishes in-flight requests while stopping, and refuses new ones with 503', async () => {
    const registry = createMemoryRegistry();
    const s = quietService({ name: 'drain', registry });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    s.handle('Slow', {
      async Work() {
        entered();
        await gate;
        return { done: true };
      },
      async Quick() {
        return {};
      },
    });
    await s.start();
    const address = s.server.address;
    const client = createClient({ registry });
    const inflight = client.call('drain', 'Slow.Work', {}, { timeout: 5000 });
    await inside;
    const stopping = s.stop();
    await assert.rejects(registry.getService('drain'), 'deregistered first');
    await assert.rejects(
      client.call('drain', 'Slow.Quick', {}, { address, retries: 0 }),
      (e: MicroError) => e.code === 503,
    );
    release();
    assert.deepEqual(await inflight, { done: true });
    await stopping;
    await client.close();
    await registry.close();
  });

  it('applies handler and call wrappers, first listed outermost', async () => {
    const registry = createMemoryRegistry();
    const order: string[] = [];
    const s = quietService({
      name: 'wrapped',
      registry,
      wrapHandler: [
        (next) => async (req, ctx) => (order.push(`h1:${ctx.endpoint}`), next(req, ctx)),
        (next) => async (req, ctx) => (order.push('h2'), next(req, ctx)),
      ],
    });
    s.handle('W', {
      async Echo(_r: unknown, ctx: Context) {
        return { auth: ctx.metadata.authorization };
      },
    });
    await s.start();
    const client = createClient({
      registry,
      wrappers: [
        (next) => async (req) => (
          order.push('c1'),
          next({ ...req, options: { ...req.options, metadata: { authorization: 'Bearer t' } } })
        ),
      ],
    });
    assert.deepEqual(await client.call('wrapped', 'W.Echo', {}), { auth: 'Bearer t' });
    assert.deepEqual(order, ['c1', 'h1:W.Echo', 'h2']);
    await client.close();
    await s.stop();
    await registry.close();
  });

  it('retries on another node when one is unreachable, and the call succeeds', async () => {
    const registry = createMemoryRegistry();
    const s = quietService({ name: 'flaky', registry });
    s.handle('F', {
      async Ping() {
        return { pong: true };
      },
    });
    await s.start();
    // A node that died without deregistering: its port refuses connections.
    await registry.register(
      record('flaky', { version: 'latest', node: 'dead', address: '127.0.0.1:1' }),
    );
    const client = createClient({ registry });
    for (let i = 0; i < 20; i++)
      assert.deepEqual(await client.call('flaky', 'F.Ping', {}), { pong: true });
    await client.close();
    await s.stop();
    await registry.close();
  });

  it('delivers published messages to subscribers, once per queue group', async () => {
    const registry = createMemoryRegistry();
    const got: Record<string, number[]> = { a: [], b: [], audit: [] };
    const make = (name: string, key: string, queue?: string) => {
      const s = quietService({ name, registry });
      s.subscribe(
        'orders',
        async (m: unknown) => void got[key]?.push((m as { n: number }).n),
        queue ? { queue } : {},
      );
      return s;
    };
    const services = [
      make('worker', 'a', 'workers'),
      make('worker', 'b', 'workers'),
      make('audit', 'audit'),
    ];
    for (const s of services) await s.start();
    const [first] = services;
    for (let n = 0; n < 30; n++) await first?.client.publish('orders', { n });
    assert.deepEqual(
      [...(got.a ?? []), ...(got.b ?? [])].sort((x, y) => x - y),
      Array.from({ length: 30 }, (_, i) => i),
    );
    assert.equal(got.audit?.length, 30);
    const [w] = await registry.getService('worker');
    assert.ok(
      w?.endpoints.some((e) => e.name === 'orders' && e.metadata.subscriber === 'true'),
      'subscribers are advertised',
    );
    for (const s of services) await s.stop();
    await registry.close();
  });
});

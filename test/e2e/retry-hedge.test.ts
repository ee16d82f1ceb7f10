// Retry budgets and hedged calls against real TCP nodes in this process: a failing service gets at
// most its budget of retries; a call to a slow node is answered by a fast one once hedged, the slow
// one sees its call cancelled; an endpoint not marked idempotent is never hedged by a policy.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createClient,
  createMemoryRegistry,
  createSelector,
  createTcpTransport,
  endpoint,
  type Client,
  type Context,
  type Filter,
  type Service,
  type Strategy,
} from '../../src/runtime/index.ts';
import { closeAll, quietService } from '../helpers/fixtures.ts';

/** Waits ms, or less when the caller cancels (then calls onCancel). */
const slowly = (ms: number, ctx: Context, onCancel: () => void): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    ctx.signal.addEventListener('abort', () => {
      clearTimeout(timer);
      onCancel();
      resolve();
    });
  });

describe('retry budget', { timeout: 60_000 }, () => {
  const registry = createMemoryRegistry();
  let failing: Service;
  let seen = 0;
  const clients: Client[] = [];
  const client = (retryBudget?: false | { ratio: number; minPerSecond: number }): Client => {
    const c = createClient({
      registry,
      transport: createTcpTransport(),
      // No breaker: every call reaches the node, so the budget alone caps the retries.
      selector: createSelector({ registry, breaker: false }),
      policy: retryBudget === undefined ? undefined : { default: { retryBudget } },
    });
    clients.push(c);
    return c;
  };
  /** Makes n calls that all fail; returns the calls the node saw. */
  const fail = async (c: Client, n: number): Promise<number> => {
    const before = seen;
    for (let i = 0; i < n; i++)
      await assert.rejects(
        c.call('failing', 'Always.Fail', {}, { retries: 2, backoff: () => 0 }),
        (err: { code: number }) => err.code === 500,
      );
    return seen - before;
  };

  before(async () => {
    failing = quietService({ name: 'failing', registry, address: '127.0.0.1:0' });
    failing.handle('Always', {
      Fail() {
        seen++;
        throw new Error('broken');
      },
    });
    await failing.start();
  });
  after(() => closeAll(...clients, failing, registry));

  it('makes every retry with the budget off: 3 attempts a call', async () => {
    assert.equal(await fail(client(false), 200), 600);
  });

  it('caps retries at 20% of the calls plus 10 a second (the defaults)', async () => {
    const n = 600;
    const started = Date.now();
    const got = await fail(client(), n);
    // The reserve is 10 a second over a 10 s window: 100, once more per window a slow run spans.
    const reserve = 100 * Math.max(1, Math.ceil((Date.now() - started) / 10_000));
    console.log(`default budget: ${n} calls made, the failing node saw ${got} (3n = ${3 * n})`);
    assert.ok(got >= n, `every call reaches the node once (${got})`);
    assert.ok(got <= n + 0.2 * n + reserve, `at most 20% + ${reserve} retries (${got})`);
  });

  it("follows the target policy's budget", async () => {
    const n = 300;
    const got = await fail(client({ ratio: 0.1, minPerSecond: 0 }), n);
    console.log(`10% budget: ${n} calls made, the failing node saw ${got}`);
    assert.ok(got >= n && got <= n + 0.1 * n, `at most 10% retries (${got})`);
  });
});

describe('hedged calls', { timeout: 60_000 }, () => {
  const registry = createMemoryRegistry();
  const nodes: Service[] = [];
  let slowId = '';
  let fastId = '';
  const count = { slow: 0, fast: 0, cancelled: 0, fastPut: 0, slowPut: 0 };
  let client: Client;
  let policyClient: Client;
  /** Called at each cancelled Get on the slow node. */
  let cancelled = (): void => undefined;
  /** The first attempt goes to the slow node whenever it is among the nodes offered. */
  const slowFirst: Strategy = (services) => () => {
    const all = services.flatMap((s) => s.nodes);
    return all.find((n) => n.id === slowId) ?? all[0]!;
  };
  const onlyFast: Filter = (services) =>
    services.map((s) => ({ ...s, nodes: s.nodes.filter((n) => n.id === fastId) }));

  const store = (slow: boolean): Service => {
    const s = quietService({ name: 'store', version: '1.0.0', registry, address: '127.0.0.1:0' });
    s.handle('Store', {
      Get: endpoint({ idempotent: true }, async (_req: unknown, ctx: Context) => {
        if (!slow) return { by: 'fast', n: ++count.fast };
        count.slow++;
        await slowly(300, ctx, () => {
          count.cancelled++;
          cancelled();
        });
        return { by: 'slow' };
      }),
      // Not idempotent: a policy must never send it twice.
      Put: endpoint({}, async (_req: unknown, ctx: Context) => {
        if (!slow) return { by: 'fast', n: ++count.fastPut };
        count.slowPut++;
        await slowly(300, ctx, () => undefined);
        return { by: 'slow' };
      }),
    });
    return s;
  };

  before(async () => {
    const slow = store(true);
    const fast = store(false);
    nodes.push(slow, fast);
    await slow.start();
    await fast.start();
    slowId = slow.server.id;
    fastId = fast.server.id;
    client = createClient({ registry, transport: createTcpTransport() });
    policyClient = createClient({
      registry,
      transport: createTcpTransport(),
      policy: { targets: { store: { hedge: {} } } },
    });
  });
  after(() => closeAll(client, policyClient, ...nodes, registry));

  it('answers from the fast node when the call is hedged, and cancels the slow attempt', async () => {
    const calls = 10;
    const cancelledBefore = count.cancelled;
    for (let i = 0; i < calls; i++) {
      const res = await client.request<{ by: string }>(
        'store',
        'Store.Get',
        {},
        { strategy: slowFirst, hedge: { delay: 20 } },
      );
      assert.equal(res.body.by, 'fast');
      assert.equal(res.node.id, fastId);
    }
    // The slow node's handlers see their calls cancelled (the transport tells the node).
    await new Promise<void>((resolve) => {
      cancelled = () => {
        if (count.cancelled - cancelledBefore >= calls) resolve();
      };
      cancelled();
    });
    assert.equal(count.cancelled - cancelledBefore, calls);
  });

  it('is not hedged without a hedge: the slow node answers', async () => {
    const res = await client.request<{ by: string }>(
      'store',
      'Store.Get',
      {},
      { strategy: slowFirst },
    );
    assert.equal(res.body.by, 'slow');
  });

  it("hedges an idempotent endpoint after its p95 under the target's policy", async () => {
    // The p95 comes from answers: 20 calls to the fast node alone.
    for (let i = 0; i < 20; i++)
      await policyClient.call('store', 'Store.Get', {}, { filters: [onlyFast] });
    for (let i = 0; i < 5; i++) {
      const res = await policyClient.request<{ by: string }>(
        'store',
        'Store.Get',
        {},
        { strategy: slowFirst },
      );
      assert.equal(res.node.id, fastId);
    }
    // hedge: false in the call wins over the policy.
    const res = await policyClient.request<{ by: string }>(
      'store',
      'Store.Get',
      {},
      { strategy: slowFirst, hedge: false },
    );
    assert.equal(res.node.id, slowId);
  });

  it('never hedges an endpoint that is not marked idempotent', async () => {
    for (let i = 0; i < 20; i++)
      await policyClient.call('store', 'Store.Put', {}, { filters: [onlyFast] });
    const fastPuts = count.fastPut;
    const slowPuts = count.slowPut;
    for (let i = 0; i < 3; i++) {
      const res = await policyClient.request<{ by: string }>(
        'store',
        'Store.Put',
        {},
        { strategy: slowFirst },
      );
      assert.equal(res.node.id, slowId);
    }
    assert.equal(count.slowPut - slowPuts, 3);
    assert.equal(count.fastPut, fastPuts, 'the fast node saw no Put');
  });
});

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  createMemoryRegistry,
  MicroError,
  type Registry,
  type ResiliencyPolicy,
  type Service,
} from '../../src/runtime/index.ts';
import { closeAll, quietService } from '../helpers/fixtures.ts';

// Real nodes on 127.0.0.1 with the framed TCP transport, in this process, found through a memory
// registry; the caller is a service whose resiliency policy sets its breaker, as a user would.
const FAILURES = 3;
const RETRIES = 2;
const policy = (service: string, openFor = 1000): ResiliencyPolicy => ({
  targets: {
    [service]: {
      retries: RETRIES,
      breaker: { failures: FAILURES, openFor, maxOpenFor: 2 * openFor },
    },
  },
});

/** A node of `name` whose Say.Hello fails with a 500 while `state.broken`, counting its calls. */
async function node(
  registry: Registry,
  name: string,
  state: { broken: boolean; calls: number },
): Promise<Service> {
  const s = quietService({ name, registry, address: '127.0.0.1:0' });
  s.handle('Say', {
    async Hello() {
      state.calls++;
      if (state.broken) throw new Error('disk full');
      return { node: s.server.id };
    },
  });
  await s.start();
  return s;
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('circuit breakers over real TCP nodes', () => {
  const registry = createMemoryRegistry();
  const opened: Service[] = [];
  after(async () => {
    await closeAll(...opened.reverse());
    await registry.close();
  });

  it('skips a node that fails every call within failures + retries calls, and readmits it once fixed', async (t) => {
    const bad = { broken: true, calls: 0 };
    const good = { broken: false, calls: 0 };
    const nodes = [
      await node(registry, 'greeter', bad),
      await node(registry, 'greeter', good),
      await node(registry, 'greeter', good),
    ];
    opened.push(...nodes);
    const badId = nodes[0]!.server.id;
    const caller = quietService({ name: 'caller', registry, policy: policy('greeter') });
    opened.push(caller);
    const call = () => caller.client.call<{ node: string }>('greeter', 'Say.Hello', {});
    const state = () => caller.selector.circuits!().find((c) => c.node === badId);

    // Three callers in a closed loop until the bad node's circuit opens (bounded).
    let calls = 0;
    const worker = async (): Promise<void> => {
      while (calls < 300 && (state()?.opened ?? 0) === 0) {
        calls++;
        await call().catch(() => undefined); // three attempts may all meet the bad node
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    t.diagnostic(
      `the failing node saw ${bad.calls} of the first ${calls} calls before its circuit opened`,
    );
    assert.notEqual(state()?.state, 'closed', 'its circuit opened');
    assert.ok(bad.calls >= FAILURES, `opened after ${bad.calls} failures`);
    assert.ok(bad.calls <= FAILURES + RETRIES, `the failing node saw ${bad.calls} calls`);

    // Open (or probed and reopened): every call is answered, and by the other nodes.
    for (let i = 0; i < 60; i++) assert.notEqual((await call()).node, badId);

    // Fixed: once its open period ends, a probe succeeds and the node is called again.
    bad.broken = false;
    let back = false;
    for (let i = 0; i < 500 && !back; i++) {
      back = (await call()).node === badId;
      if (!back) await pause(10);
    }
    assert.ok(back, 'the fixed node was readmitted');
    const info = state();
    assert.equal(info?.state, 'closed');
    assert.ok((info?.opened ?? 0) >= 1);
  });

  it('fails fast with a 503 and a retry-after when every node of the target is open', async () => {
    const flaky = { broken: true, calls: 0 };
    opened.push(await node(registry, 'flaky', flaky));
    const caller = quietService({ name: 'caller2', registry, policy: policy('flaky', 5000) });
    opened.push(caller);
    let last: unknown;
    for (let i = 0; i < 10 && flaky.calls < FAILURES; i++)
      last = await caller.client.call('flaky', 'Say.Hello', {}).catch((e: unknown) => e);
    assert.equal((last as MicroError).code, 500, 'the node answered its failures itself');
    const seen = flaky.calls;
    assert.equal(seen, FAILURES);

    const err = await caller.client.call('flaky', 'Say.Hello', {}).catch((e: unknown) => e);
    assert.ok(err instanceof MicroError);
    assert.equal(err.code, 503);
    assert.equal(err.id, 'micro.client');
    assert.match(err.detail, /^circuit open for every node of flaky \(1 nodes\); retry after 5 s$/);
    assert.equal(err.retryAfter, 5);
    assert.equal(flaky.calls, seen, 'no call reached the open node');
  });
});

// Issue 20, point 7: under a closed loop of 50 calls in flight over 4 real TCP nodes, one of them
// slowed to 500 ms, the load-aware strategies keep the tail short where random does not. The nodes
// run in one child process (so that the caller's process is not also the servers'); each strategy
// runs with a fresh selector (its own load table) and client. The figures are printed, and only
// their ordering is asserted.
//
// Why least outstanding wins, and when it cannot: with 50 calls in flight it keeps about 12 of them
// on the slow node (as many as on each fast one), i.e. about 25 calls/s there. Its p99 is a fast
// call only while that is under 1% of all calls: the pair of processes must run more than about
// 2,500 calls/s. On a machine loaded far past its cores it runs fewer, and then both p99s are the
// slow node's 500 ms; the failure message says so. Latency-aware sends the slow node almost nothing
// once it has answered, so it does not depend on that.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  createClient,
  createMemoryRegistry,
  createSelector,
  createTcpTransport,
  strategies,
} from '../../src/runtime/index.ts';
import { startNode, type Child } from '../helpers/proc.ts';
import { record } from '../helpers/fixtures.ts';

const fixture = fileURLToPath(new URL('./fixtures/slow-greeters.ts', import.meta.url));
const IN_FLIGHT = 50;
/** Calls per strategy, and a time bound in case random's 500 ms tail makes them too slow. */
const CALLS = 10_000;
const BOUND_MS = 6000;

interface Run {
  name: string;
  calls: number;
  slow: number;
  perSecond: number;
  p50: number;
  p99: number;
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;

describe('load-aware strategies under a slow node', () => {
  const registry = createMemoryRegistry();
  const runs = new Map<string, Run>();
  let nodes: Child;

  before(async () => {
    nodes = startNode(fixture);
    await nodes.waitFor(/^ready$/, 20_000);
    const list = nodes.lines
      .map((l) => /^node (\S+) (\S+)$/.exec(l))
      .filter((m) => m !== null)
      .map(([, id, address]) => ({ id: id!, address: address!, metadata: { transport: 'tcp' } }));
    assert.equal(list.length, 4, nodes.lines.join('\n'));
    await registry.register(record('greeter', { nodes: list }));
  });

  after(async () => {
    await nodes?.stop();
    await registry.close();
  });

  /** Runs the closed loop with one strategy and keeps its figures. */
  const measure = async (name: keyof typeof strategies): Promise<Run> => {
    const selector = createSelector({ registry, strategy: strategies[name] });
    const client = createClient({ registry, transport: createTcpTransport(), selector });
    const latencies: number[] = [];
    const started = Date.now();
    const stopAt = started + BOUND_MS;
    let issued = 0;
    let slow = 0;
    const worker = async (): Promise<void> => {
      while (issued < CALLS && Date.now() < stopAt) {
        issued++;
        const t = performance.now();
        const reply = await client.call<{ node: string }>('greeter', 'Say.Hello', { name: 'Ann' });
        latencies.push(performance.now() - t);
        if (reply.node === 'slow') slow++;
      }
    };
    try {
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    } finally {
      await client.close();
      selector.close();
    }
    const perSecond = Math.round((latencies.length * 1000) / (Date.now() - started));
    latencies.sort((a, b) => a - b);
    const run = {
      name,
      calls: latencies.length,
      slow,
      perSecond,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
    };
    runs.set(name, run);
    const pad = (n: number, w: number): string => String(n).padStart(w);
    console.log(
      `${name.padEnd(18)} ${pad(run.calls, 5)} calls (${pad(perSecond, 5)}/s), ${pad(slow, 4)} to the slow node, p50 ${run.p50.toFixed(1).padStart(6)} ms, p99 ${run.p99.toFixed(1).padStart(6)} ms`,
    );
    return run;
  };

  it('random sends about a quarter of the calls to the slow node', async () => {
    const run = await measure('random');
    assert.ok(run.slow > run.calls / 10, JSON.stringify(run));
  });

  /** Why a p99 was not below random's: the figures, and the share of calls the slow node got. */
  const why = (run: Run): string =>
    `${run.name}: ${((100 * run.slow) / run.calls).toFixed(2)}% of its calls went to the slow node ` +
    `at ${run.perSecond} calls/s (over 1%: its p99 is a slow call too); ${JSON.stringify([...runs.values()])}`;

  it('least outstanding keeps p99 below random', async () => {
    const run = await measure('least-outstanding');
    const random = runs.get('random');
    assert.ok(random && run.p99 < random.p99, why(run));
  });

  it('latency aware keeps p99 below random', async () => {
    const run = await measure('latency');
    const random = runs.get('random');
    assert.ok(random && run.p99 < random.p99, why(run));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MicroError } from '../../../src/runtime/errors.ts';
import { RetryBudget } from '../../../src/runtime/resilience/budget.ts';
import { hedged, hedgeOf, type Attempt } from '../../../src/runtime/resilience/hedge.ts';
import { LatencyRing } from '../../../src/runtime/resilience/latency.ts';

/** Withdraws until the budget says no (bounded); returns how many it allowed. */
const drain = (b: RetryBudget, max = 10_000): number => {
  let n = 0;
  while (n < max && b.withdraw()) n++;
  return n;
};

describe('retry budget', () => {
  it('allows retries up to the ratio of recent calls, then none', () => {
    let now = 1_000_000;
    const b = new RetryBudget({ ratio: 0.2, minPerSecond: 0, window: 10_000 }, () => now);
    for (let i = 0; i < 100; i++) b.deposit();
    assert.equal(drain(b), 20);
    for (let i = 0; i < 10; i++) b.deposit();
    assert.equal(drain(b), 2);
    // A window later the calls and retries are forgotten: nothing is allowed without new calls.
    now += 10_000;
    assert.equal(drain(b), 0);
    for (let i = 0; i < 50; i++) b.deposit();
    assert.equal(drain(b), 10);
  });

  it('keeps minPerSecond retries a second over the window as a reserve', () => {
    const b = new RetryBudget({ ratio: 0.2, minPerSecond: 2, window: 5000 }, () => 42_000);
    assert.equal(drain(b), 10);
  });

  it('has the documented defaults: 20% of the calls of the last 10 s plus 10 a second', () => {
    let now = 5_000_000;
    const b = new RetryBudget({}, () => now);
    for (let i = 0; i < 1000; i++) b.deposit();
    assert.equal(drain(b), 300);
    now += 9_000; // still in the window
    assert.equal(drain(b), 0);
    now += 1_000; // the calls and retries have left it
    for (let i = 0; i < 10; i++) b.deposit();
    assert.equal(drain(b), 102, '20% of the new calls plus the reserve');
  });

  it('refuses bad options with a TypeError naming them', () => {
    assert.throws(() => new RetryBudget({ ratio: -1 }), /ratio/);
    assert.throws(() => new RetryBudget({ window: 0 }), /window/);
    assert.throws(() => new RetryBudget({ minPerSecond: Number.NaN }), /minPerSecond/);
  });
});

describe('latency ring', () => {
  it('has no p95 before 10 answers, then the 95th percentile of the last 128', () => {
    const r = new LatencyRing();
    for (let i = 1; i <= 9; i++) r.record(i);
    assert.equal(r.p95(), undefined);
    for (let i = 10; i <= 100; i++) r.record(i);
    assert.equal(r.p95(), 95);
    // 128 slow answers push the fast ones out of the ring.
    for (let i = 0; i < 128; i++) r.record(500);
    assert.equal(r.p95(), 500);
  });
});

describe('hedging', () => {
  const ok = (value: string): Attempt<string> => ({ value });
  const fail = (code: number): Attempt<string> => ({ error: new MicroError('t', code, 'no') });

  it('picks the call own hedge over the policy, and false over both', () => {
    assert.equal(hedgeOf(false, { delay: 1 }), undefined);
    assert.deepEqual(hedgeOf({ delay: 2 }, { delay: 1 }), {
      options: { delay: 2 },
      needsIdempotent: false,
    });
    assert.equal(hedgeOf(undefined, { delay: 1 })?.needsIdempotent, true);
    assert.equal(hedgeOf(undefined, { endpoints: ['A.B'] })?.needsIdempotent, false);
    assert.equal(hedgeOf(undefined, undefined), undefined);
    assert.equal(hedgeOf({ delay: 1 }, undefined, true), undefined, 'a call to one node');
  });

  it('sends a hedge to another node when the first is slow; the first is aborted', async () => {
    const aborted: string[] = [];
    const nodes = ['slow', 'fast'];
    const r = await hedged<string>(
      (busy, signal) => {
        const node = nodes.find((n) => !busy.has(n))!;
        busy.add(node);
        if (node === 'fast') return Promise.resolve(ok(node));
        return new Promise((resolve) =>
          signal.addEventListener('abort', () => {
            aborted.push(node);
            resolve(fail(499));
          }),
        );
      },
      { options: { delay: 1 }, endpoint: 'A.B', ring: new LatencyRing(), allow: () => true },
    );
    assert.deepEqual(r, ok('fast'));
    assert.deepEqual(aborted, ['slow']);
  });

  it('makes no hedge when not allowed (not idempotent, or no budget), nor with no p95', async () => {
    for (const plan of [
      { options: { delay: 0 }, allow: () => false },
      { options: {}, allow: () => true },
      { options: { delay: 0, endpoints: ['X.Y'] }, allow: () => true },
    ]) {
      let attempts = 0;
      const r = await hedged<string>(
        async () => {
          attempts++;
          // Long enough for any hedge due to start: three timer turns.
          for (let i = 0; i < 3; i++) await new Promise((res) => setTimeout(res, 1));
          return ok('first');
        },
        { ...plan, endpoint: 'A.B', ring: new LatencyRing() },
      );
      assert.deepEqual(r, ok('first'));
      assert.equal(attempts, 1);
    }
  });

  it('fails with the last error once every attempt made has failed', async () => {
    let n = 0;
    const r = await hedged<string>(
      async () => {
        const mine = ++n;
        if (mine === 1) await new Promise((res) => setTimeout(res, 20));
        return fail(mine === 1 ? 503 : 500);
      },
      {
        options: { delay: 0, max: 1 },
        endpoint: 'A.B',
        ring: new LatencyRing(),
        allow: () => true,
      },
    );
    assert.equal(n, 2);
    assert.equal(r.error?.code, 503);
  });
});

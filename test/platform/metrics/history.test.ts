// The history's arithmetic with times given by the test: rates over rounds, quantiles from bucket
// differences, restarted nodes, missed rounds, the window's bounds and the caps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { History } from '../../../src/platform/metrics/history.ts';
import { histogramQuantile } from '../../../src/platform/metrics/quantile.ts';
import { LATENCY_BUCKETS, type EndpointCounts } from '../../../src/platform/metrics/metrics.ts';

/** Counts of `calls` requests (`errors` failed) that each took `seconds`, as a node keeps them. */
function counts(
  endpoint: string,
  calls: number,
  seconds: number,
  errors = 0,
  inflight = 0,
): EndpointCounts {
  return {
    endpoint,
    kind: 'call',
    calls,
    errors,
    cancelled: 0,
    inflight,
    buckets: LATENCY_BUCKETS.map((le) => (seconds <= le ? calls : 0)),
    sum: calls * seconds,
  };
}

const make = (o: Partial<ConstructorParameters<typeof History>[0]> = {}) =>
  new History({ window: 60_000, interval: 1000, maxSeries: 100, maxNodes: 100, ...o });

/**
 * Runs rounds at 1 s steps after `from`; each gives what the nodes answer in it. Every node named
 * is registered throughout.
 */
function rounds(h: History, answers: [string, string, EndpointCounts[]][][], from = 0): number {
  let t = from;
  const registered = new Set(answers.flat().map(([s, n]) => History.nodeKey(s, n)));
  for (const answered of answers) {
    t += 1000;
    const r = h.begin(t);
    for (const [service, node, c] of answered) h.observe(r, service, node, c);
    h.finish(r, registered);
  }
  return t;
}

describe('metrics history', () => {
  it('interpolates quantiles inside a bucket as histogram_quantile does', () => {
    const all = (n: number, i: number) => LATENCY_BUCKETS.map((_, j) => (j >= i ? n : 0));
    // 100 requests between 10 and 25 ms: the median is halfway, p99 near the top.
    const c = [...all(100, 5), 100];
    assert.equal(histogramQuantile(0.5, c), 0.0175);
    assert.ok(Math.abs(histogramQuantile(0.99, c) - 0.02485) < 1e-12);
    // All in the first bucket: interpolated from 0.
    assert.equal(histogramQuantile(0.5, [...all(10, 0), 10]), 0.00025);
    // Beyond the last bound: the highest finite bound.
    assert.equal(histogramQuantile(0.5, [...all(0, 0), 7]), 10);
    assert.equal(histogramQuantile(0.5, [...all(0, 0), 0]), 0);
  });

  it('sums two nodes into rates per second, with p50/p99 of the requests in the window', () => {
    const h = make();
    rounds(h, [
      [
        ['a', 'n1', [counts('A.Get', 0, 0.02)]],
        ['a', 'n2', [counts('A.Get', 0, 0.02)]],
      ],
      [
        ['a', 'n1', [counts('A.Get', 10, 0.02, 1)]],
        ['a', 'n2', [counts('A.Get', 20, 0.02, 2, 3)]],
      ],
      [
        ['a', 'n1', [counts('A.Get', 30, 0.02, 1)]],
        ['a', 'n2', [counts('A.Get', 40, 0.02, 2, 1)]],
      ],
    ]);
    const [e] = h.report({}, 5000).endpoints;
    assert.ok(e);
    assert.deepEqual(
      {
        calls: e.calls,
        errors: e.errors,
        rate: e.rate,
        errorRate: e.errorRate,
        inflight: e.inflight,
      },
      { calls: 70, errors: 3, rate: 35, errorRate: 1.5, inflight: 1 },
    );
    assert.deepEqual(
      e.points.map((p) => [p.time, p.rate, p.errorRate]),
      [
        [2000, 30, 3],
        [3000, 40, 0],
      ],
    );
    assert.equal(e.p50, 17.5);
    assert.equal(e.p99, 24.85);
  });

  it('counts a restarted node from 0 and spreads a missed round over the rounds it missed', () => {
    const h = make();
    rounds(h, [
      [['a', 'n1', [counts('A.Get', 100, 0.002)]]],
      [['a', 'n1', [counts('A.Get', 150, 0.002)]]],
      // Restarted: 20 since.
      [['a', 'n1', [counts('A.Get', 20, 0.002)]]],
      // Missed a round, then 40 more over two.
      [],
      [['a', 'n1', [counts('A.Get', 60, 0.002)]]],
    ]);
    const e = h.report({ service: 'a' }, 0).endpoints[0];
    assert.deepEqual(
      e?.points.map((p) => p.rate),
      [50, 20, 20, 20],
    );
    assert.equal(e?.calls, 110);
  });

  it('answers only the window asked for, keeps no more than its own, and forgets what left', () => {
    const h = make({ window: 5000 });
    const answers = Array.from({ length: 12 }, (_, i) => [
      ['a', 'n1', [counts('A.Get', i * 10, 0.001)]] as [string, string, EndpointCounts[]],
    ]);
    rounds(h, answers);
    const whole = h.report({}, 0);
    assert.equal(whole.window, 5000);
    assert.deepEqual(
      whole.endpoints[0]?.points.map((p) => p.time),
      [8000, 9000, 10000, 11000, 12000],
    );
    assert.equal(whole.endpoints[0]?.calls, 50);
    const short = h.report({ window: 2000 }, 0).endpoints[0];
    assert.deepEqual(
      short?.points.map((p) => p.time),
      [11000, 12000],
    );
    assert.equal(short?.rate, 10);
    // Wider than kept: the kept window.
    assert.equal(h.report({ window: 60_000 }, 0).window, 5000);
    // No node reports it any more: gone once a window has passed.
    rounds(
      h,
      Array.from({ length: 8 }, () => []),
      12_000,
    );
    assert.deepEqual(h.report({}, 0).endpoints, []);
  });

  it('lists an endpoint with no request, and leaves out what passes the caps', () => {
    const h = make({ maxSeries: 2, maxNodes: 1 });
    rounds(h, [
      [
        ['a', 'n1', [counts('A.One', 0, 0), counts('A.Two', 0, 0), counts('A.Three', 0, 0)]],
        ['b', 'n2', [counts('B.One', 5, 0.001)]],
      ],
      [['a', 'n1', [counts('A.One', 0, 0), counts('A.Two', 0, 0), counts('A.Three', 0, 0)]]],
    ]);
    const report = h.report({}, 0);
    assert.deepEqual(
      report.endpoints.map((e) => [e.service, e.endpoint, e.rate, e.p50]),
      [
        ['a', 'A.One', 0, 0],
        ['a', 'A.Two', 0, 0],
      ],
    );
    assert.ok(h.dropped > 0);
  });
});

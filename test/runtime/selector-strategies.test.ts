import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service } from '../../src/registry/registry.ts';
import { LoadTable } from '../../src/runtime/selector/load.ts';
import {
  latencyAware,
  leastOutstanding,
  nodeCost,
  random,
  roundRobin,
  strategies,
  strategyFromEnv,
} from '../../src/runtime/selector/index.ts';
import { createMemoryRegistry } from '../../src/registry/memory.ts';
import { createService, createSelector } from '../../src/runtime/index.ts';
import { quiet, record } from '../helpers/fixtures.ts';

const svc = (ids: string[]): Service =>
  record('greeter', {
    nodes: ids.map((id, i) => ({ id, address: `127.0.0.1:${1000 + i}`, metadata: {} })),
  });

/** How many of `count` picks went to each node. */
const tally = (next: () => { id: string }, count: number): Map<string, number> => {
  const seen = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const id = next().id;
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  return seen;
};

/** A load table with calls in flight and answers already seen, filled by hand. */
const loaded = (inFlight: Record<string, number>, latency: Record<string, number> = {}) => {
  const load = new LoadTable();
  for (const [id, ms] of Object.entries(latency)) {
    load.start(id);
    load.end(id, ms);
  }
  for (const [id, n] of Object.entries(inFlight)) for (let i = 0; i < n; i++) load.start(id);
  return load;
};

describe('least outstanding', () => {
  it('picks the node with the fewest calls in flight', () => {
    const next = leastOutstanding([svc(['a', 'b', 'c'])], loaded({ a: 3, b: 1, c: 2 }));
    assert.deepEqual(tally(next, 50), new Map([['b', 50]]));
  });

  it('breaks ties at random, reaching every tied node', () => {
    const next = leastOutstanding([svc(['a', 'b', 'c'])], loaded({ a: 1, b: 1, c: 4 }));
    assert.deepEqual([...tally(next, 400).keys()].sort(), ['a', 'b']);
  });

  it('reads the load at each pick, so calls started meanwhile count', () => {
    const load = loaded({});
    const next = leastOutstanding([svc(['a', 'b', 'c'])], load);
    for (let i = 0; i < 30; i++) load.start(next().id);
    assert.deepEqual(
      ['a', 'b', 'c'].map((id) => load.outstanding(id)),
      [10, 10, 10],
    );
  });

  it('spans every version of the service, and picks at random without load', () => {
    const next = leastOutstanding([svc(['a']), svc(['b'])], loaded({ a: 2 }));
    assert.equal(next().id, 'b');
    assert.deepEqual([...tally(leastOutstanding([svc(['a', 'b'])]), 400).keys()].sort(), [
      'a',
      'b',
    ]);
  });

  it('throws when there is no node', () => {
    assert.throws(() => leastOutstanding([svc([])], loaded({}))(), /no nodes/);
  });
});

describe('latency aware', () => {
  it('prices a node by its latency and calls in flight; an idle untried node is free', () => {
    const load = loaded({ a: 2, fresh: 0, busy: 1 }, { a: 9 });
    assert.ok(Math.abs(nodeCost(load, 'a') - 30) < 0.1); // (9 + 1) x (2 + 1), 9 decaying
    assert.equal(nodeCost(load, 'fresh'), 0);
    assert.ok(nodeCost(load, 'busy') > 1e9, 'an untried node with a call out waits for its answer');
  });

  it('between two nodes, keeps to the cheaper one', () => {
    const next = latencyAware([svc(['slow', 'fast'])], loaded({}, { slow: 500, fast: 2 }));
    assert.deepEqual(tally(next, 100), new Map([['fast', 100]]));
  });

  it('sends a slow node nothing while both others are cheaper, yet spreads over those', () => {
    const load = loaded({ fast1: 3, fast2: 3 }, { slow: 500, fast1: 5, fast2: 5 });
    const seen = tally(latencyAware([svc(['slow', 'fast1', 'fast2'])], load), 600);
    assert.equal(seen.get('slow'), undefined);
    assert.ok((seen.get('fast1') ?? 0) > 100 && (seen.get('fast2') ?? 0) > 100, String([...seen]));
  });

  it('goes back to a slow node when the fast ones are loaded enough', () => {
    const load = loaded({ fast1: 200, fast2: 200 }, { slow: 50, fast1: 5, fast2: 5 });
    const seen = tally(latencyAware([svc(['slow', 'fast1', 'fast2'])], load), 300);
    assert.ok((seen.get('slow') ?? 0) > 100, String([...seen]));
  });

  it('tries a new node once, then waits for its first answer', () => {
    const load = loaded({}, { old: 1 });
    const next = latencyAware([svc(['old', 'new'])], load);
    assert.equal(next().id, 'new');
    load.start('new');
    assert.deepEqual(tally(next, 50), new Map([['old', 50]]));
  });

  it('tries a node that was slow again once its latency has decayed', (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const load = loaded({}, { slow: 500, fast: 5 });
    const next = latencyAware([svc(['slow', 'fast'])], load);
    assert.deepEqual(tally(next, 50), new Map([['fast', 50]]));
    const fast = () => {
      load.start('fast');
      load.end('fast', 5);
    };
    for (let s = 0; s < 60; s++) {
      t.mock.timers.tick(1000); // a minute of calls to the fast node only
      fast();
    }
    assert.ok(load.latency('slow')! < 5, `slow's latency decayed to ${load.latency('slow')}`);
    assert.ok(tally(next, 50).has('slow'));
  });

  it('uses the only node there is, and picks at random without load', () => {
    assert.equal(latencyAware([svc(['a'])], loaded({ a: 9 }))().id, 'a');
    assert.deepEqual([...tally(latencyAware([svc(['a', 'b'])]), 400).keys()].sort(), ['a', 'b']);
  });
});

describe('load table', () => {
  it('jumps to a slower answer at once and decays over about 10 s', (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const load = loaded({}, { a: 10 });
    load.start('a');
    load.end('a', 200);
    assert.equal(load.latency('a'), 200);
    t.mock.timers.tick(10_000);
    assert.ok(Math.abs(load.latency('a')! - 200 / Math.E) < 0.01, String(load.latency('a')));
    load.start('a');
    load.end('a', 10);
    const after = load.latency('a')!;
    assert.ok(after > 10 && after < 100, String(after)); // 200 weighted e^-1, 10 the rest
    assert.equal(load.latency('never'), undefined);
  });
});

describe('strategies by name', () => {
  it('lists the four strategies', () => {
    assert.deepEqual(Object.keys(strategies), [
      'random',
      'round-robin',
      'least-outstanding',
      'latency',
    ]);
    assert.equal(strategies.random, random);
    assert.equal(strategies['round-robin'], roundRobin);
  });

  it('reads MICRO_SELECTOR_STRATEGY; unset is undefined, a bad name lists the good ones', () => {
    assert.equal(strategyFromEnv({}), undefined);
    assert.equal(strategyFromEnv({ MICRO_SELECTOR_STRATEGY: '' }), undefined);
    assert.equal(
      strategyFromEnv({ MICRO_SELECTOR_STRATEGY: 'least-outstanding' }),
      leastOutstanding,
    );
    assert.equal(strategyFromEnv({ MICRO_SELECTOR_STRATEGY: 'latency' }), latencyAware);
    for (const bad of ['fastest', 'toString', '__proto__'])
      assert.throws(
        () => strategyFromEnv({ MICRO_SELECTOR_STRATEGY: bad }),
        (err: Error) =>
          err instanceof TypeError &&
          err.message.includes('MICRO_SELECTOR_STRATEGY') &&
          err.message.includes('random, round-robin, least-outstanding, latency'),
      );
  });

  it('is the default of a selector and a service made with none', async (t) => {
    const registry = createMemoryRegistry();
    await registry.register(svc(['a', 'b', 'c']));
    t.after(() => registry.close());
    const saved = process.env.MICRO_SELECTOR_STRATEGY;
    t.after(() => {
      if (saved === undefined) delete process.env.MICRO_SELECTOR_STRATEGY;
      else process.env.MICRO_SELECTOR_STRATEGY = saved;
    });
    process.env.MICRO_SELECTOR_STRATEGY = 'round-robin';
    const selector = createSelector({ registry });
    t.after(() => selector.close());
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push((await selector.select('greeter'))().id);
    assert.deepEqual(seen.slice(3), seen.slice(0, 3), 'round robin, from the environment');
    assert.equal(new Set(seen).size, 3);
    process.env.MICRO_SELECTOR_STRATEGY = 'fastest';
    assert.throws(() => createSelector({ registry }), TypeError);
    assert.throws(
      () => createService({ name: 'x', registry, logger: quiet, handleSignals: false }),
      /unknown strategy "fastest" \(MICRO_SELECTOR_STRATEGY\)/,
    );
  });
});

// The rule cache when the store misbehaves: away at first (calls go on with no rules, then get
// them once it is back), a watch that breaks (the rules are read again), and the environment's
// switches for routing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Channel } from '../../../src/registry/channel.ts';
import { serviceUnavailable } from '../../../src/runtime/errors.ts';
import {
  createRuleCache,
  routingFromEnv,
  type RouteChange,
  type Routes,
  type TrafficRule,
} from '../../../src/platform/routing/index.ts';

const rule = (service: string): TrafficRule => ({ service, routes: [{ to: [{ version: '1' }] }] });

/** Routes whose store can be taken away and whose watches can be broken. */
function flaky() {
  const state = { up: false, rules: [rule('a')], watches: 0, reads: 0 };
  const channels = new Set<Channel<RouteChange>>();
  const away = () => serviceUnavailable('config', 'the store is away');
  const routes = {
    list: async () => {
      state.reads++;
      if (!state.up) throw away();
      return state.rules;
    },
    watch() {
      state.watches++;
      const c = new Channel<RouteChange>(() => channels.delete(c));
      channels.add(c);
      const ready = state.up ? Promise.resolve() : Promise.reject(away());
      ready.catch(() => c.close());
      return {
        ready,
        stop: () => c.close(),
        [Symbol.asyncIterator]: () => c[Symbol.asyncIterator](),
      };
    },
    close: async () => {
      for (const c of channels) c.close();
    },
  } as unknown as Routes;
  return {
    routes,
    state,
    push: (change: RouteChange) => channels.forEach((c) => c.push(change)),
    breakWatches: () => channels.forEach((c) => c.close()),
    watching: () => channels.size > 0,
  };
}

/** Waits (bounded) until `ok` holds. */
async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(ok(), what);
}

describe('rule cache', () => {
  it('settles with no rules while the store is away, and gets them once it is back', async () => {
    const f = flaky();
    const cache = createRuleCache({
      routes: () => f.routes,
      compile: (r) => r.service,
      refresh: 200,
    });
    await cache.first();
    assert.equal(cache.settled, true);
    assert.equal(cache.get('a'), undefined);
    f.state.up = true;
    await until(() => cache.get('a') === 'a', 'the rules were read once the store was back');
    await until(f.watching, 'watched once the store was back');
    f.push({ service: 'b', rule: rule('b') });
    await until(() => cache.get('b') === 'b', 'a watched change arrived');
    await cache.close();
  });

  it('reads the rules again when the watch breaks, and watches again', async () => {
    const f = flaky();
    f.state.up = true;
    const cache = createRuleCache({
      routes: () => f.routes,
      compile: (r) => r.service,
      refresh: 600_000,
    });
    await cache.first();
    assert.equal(cache.get('a'), 'a');
    const reads = f.state.reads;
    f.state.rules = [rule('c')];
    f.breakWatches();
    await until(() => cache.get('c') === 'c' && cache.get('a') === undefined, 'read again');
    assert.ok(f.state.reads > reads);
    await until(() => f.state.watches >= 2 && f.watching(), 'watched again');
    f.push({ service: 'd', rule: rule('d') });
    await until(() => cache.get('d') === 'd', 'the new watch reports changes');
    await cache.close();
  });

  it('keeps the rules it holds while the store is away', async () => {
    const f = flaky();
    f.state.up = true;
    const cache = createRuleCache({
      routes: () => f.routes,
      compile: (r) => r.service,
      refresh: 100,
    });
    await cache.first();
    f.state.up = false;
    f.breakWatches();
    await until(() => f.state.reads >= 3, 'tried again');
    assert.equal(cache.get('a'), 'a');
    await cache.close();
  });

  it('reads the rules once, unwatched, for one-shot programs', async () => {
    const f = flaky();
    f.state.up = true;
    const cache = createRuleCache({
      routes: () => f.routes,
      compile: (r) => r.service,
      once: true,
    });
    await cache.first();
    assert.equal(cache.get('a'), 'a');
    assert.equal(f.state.watches, 0);
    await cache.close();
  });

  it('is off with MICRO_ROUTES=off, and refuses bad switches with a TypeError naming them', () => {
    assert.equal(routingFromEnv({ MICRO_ROUTES: 'off' }), undefined);
    assert.throws(
      () => routingFromEnv({ MICRO_ROUTES: 'maybe' }),
      /MICRO_ROUTES must be on or off/,
    );
    assert.throws(
      () => routingFromEnv({ MICRO_ROUTES_REFRESH: '10s' }),
      /MICRO_ROUTES_REFRESH must be/,
    );
    assert.ok(routingFromEnv({ MICRO_ROUTES: 'on', MICRO_ROUTES_REFRESH: '5000' }));
  });
});

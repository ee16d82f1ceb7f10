import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryRegistry } from '../../src/registry/memory.ts';
import type { Registry, Service } from '../../src/registry/registry.ts';
import {
  createSelector,
  filterEndpoint,
  filterLabel,
  filterVersion,
  random,
  roundRobin,
} from '../../src/runtime/selector/index.ts';
import { record } from '../helpers/fixtures.ts';

const hello = [{ name: 'Say.Hello', metadata: {} }];
const svc = (version: string, ids: string[], zone = 'a'): Service =>
  record('greeter', {
    version,
    endpoints: hello,
    nodes: ids.map((id, i) => ({ id, address: `127.0.0.1:${1000 + i}`, metadata: { zone } })),
  });

describe('selector', () => {
  it('round robin visits every node in turn', async () => {
    const next = roundRobin([svc('1', ['a', 'b', 'c'])]);
    const seen = Array.from({ length: 6 }, () => next().id);
    assert.deepEqual(new Set(seen.slice(0, 3)), new Set(['a', 'b', 'c']));
    assert.deepEqual(seen.slice(3), seen.slice(0, 3));
  });

  it('random reaches every node', () => {
    const next = random([svc('1', ['a', 'b'])]);
    const seen = new Set(Array.from({ length: 200 }, () => next().id));
    assert.deepEqual(seen, new Set(['a', 'b']));
  });

  it('filters by version, label and endpoint', async () => {
    const services = [
      svc('1.0.0', ['old']),
      { ...svc('2.0.0', ['new'], 'b'), endpoints: [{ name: 'Say.Bye', metadata: {} }] },
    ];
    assert.deepEqual(
      filterVersion('2.0.0')(services).flatMap((s) => s.nodes.map((n) => n.id)),
      ['new'],
    );
    assert.deepEqual(
      filterLabel('zone', 'a')(services).flatMap((s) => s.nodes.map((n) => n.id)),
      ['old'],
    );
    assert.deepEqual(
      filterEndpoint('Say.Bye')(services).flatMap((s) => s.nodes.map((n) => n.id)),
      ['new'],
    );
  });

  it('avoids a node marked as failed while others are up', async () => {
    const registry = createMemoryRegistry();
    await registry.register(svc('1', ['a', 'b']));
    const selector = createSelector({ registry });
    const first = (await selector.select('greeter'))();
    selector.mark('greeter', first, new Error('refused'));
    const after = new Set<string>();
    for (let i = 0; i < 50; i++) after.add((await selector.select('greeter'))().id);
    assert.deepEqual(after, new Set([first.id === 'a' ? 'b' : 'a']));
    selector.close();
    await registry.close();
  });

  it('sees a new node through its watch, without asking the registry again', async () => {
    const registry = createMemoryRegistry();
    await registry.register(svc('1', ['a']));
    let lookups = 0;
    const counting: Registry = {
      ...registry,
      getService: (n) => (lookups++, registry.getService(n)),
      watch: (o) => registry.watch(o),
    };
    const selector = createSelector({ registry: counting, strategy: roundRobin });
    await selector.select('greeter');
    await registry.register(
      record('greeter', { version: '1', endpoints: hello, node: 'b', address: '127.0.0.1:2000' }),
    );
    await new Promise((r) => setImmediate(r));
    const next = await selector.select('greeter');
    assert.deepEqual(new Set([next().id, next().id]), new Set(['a', 'b']));
    assert.equal(lookups, 1);
    selector.close();
    await registry.close();
  });

  it('keeps serving its cached view when the registry is unreachable', async () => {
    const registry = createMemoryRegistry();
    await registry.register(svc('1', ['a']));
    let down = false;
    const flaky: Registry = {
      ...registry,
      getService: (n) =>
        down
          ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:8000'))
          : registry.getService(n),
      watch: (o) => registry.watch(o),
    };
    const selector = createSelector({ registry: flaky, ttl: 1 });
    assert.equal((await selector.select('greeter'))().id, 'a');
    down = true;
    await new Promise((r) => setTimeout(r, 5)); // let the 1 ms cache entry age out
    assert.equal((await selector.select('greeter'))().id, 'a');
    selector.close();
    await registry.close();
  });

  it('says which registry it asked when a service is unknown', async () => {
    const registry = createMemoryRegistry();
    const selector = createSelector({ registry });
    await assert.rejects(
      selector.select('nobody'),
      (e: Error & { code?: number; detail?: string }) => {
        assert.equal(e.code, 404);
        assert.match(e.detail ?? '', /nobody.*memory registry/);
        return true;
      },
    );
    selector.close();
    await registry.close();
  });
});

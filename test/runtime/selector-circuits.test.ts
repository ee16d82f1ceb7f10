import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryRegistry } from '../../src/registry/memory.ts';
import type { Node, Registry, Service } from '../../src/registry/registry.ts';
import { MicroError } from '../../src/runtime/errors.ts';
import type { CacheSelectorOptions, NodeLoad, Selector } from '../../src/runtime/selector/index.ts';
import { createSelector, random } from '../../src/runtime/selector/index.ts';
import { record } from '../helpers/fixtures.ts';

const nodes = (ids: string[]): Node[] =>
  ids.map((id, i) => ({ id, address: `127.0.0.1:${2000 + i}`, metadata: {} }));
const svc = (name: string, ids: string[]): Service => record(name, { nodes: nodes(ids) });
const boom = (): MicroError => new MicroError('greeter', 500, 'boom');
const refused = (): MicroError => new MicroError('micro.client', 503, 'connection refused');

/** A selector over a memory registry holding greeter (a, b, c) and echo (e). */
async function setup(
  o: Omit<CacheSelectorOptions, 'registry'> = {},
): Promise<{ registry: Registry; selector: Selector; [Symbol.asyncDispose](): Promise<void> }> {
  const registry = createMemoryRegistry();
  await registry.register(svc('greeter', ['a', 'b', 'c']));
  await registry.register(svc('echo', ['e']));
  const selector = createSelector({ registry, ...o });
  return {
    registry,
    selector,
    async [Symbol.asyncDispose]() {
      selector.close();
      await registry.close();
    },
  };
}

/** The node ids picked over 60 selections. */
async function picks(selector: Selector, service = 'greeter'): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < 60; i++) seen.add((await selector.select(service))().id);
  return seen;
}

/** Makes `times` calls to the node, each ending with `error`. */
function fail(
  selector: Selector,
  service: string,
  node: Node,
  times: number,
  error = boom(),
): void {
  for (let i = 0; i < times; i++) selector.start!(service, node)(error);
}

/** The node of that id, as registered. */
const node = (id: string): Node => ({
  id,
  address: `127.0.0.1:${2000 + Math.max(0, 'abc'.indexOf(id))}`,
  metadata: {},
});

/** Resolves once the node's circuit reads `state` (bounded poll: the open period is short). */
async function until(selector: Selector, id: string, state: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (selector.circuits!().find((c) => c.node === id)?.state === state) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`${id} never became ${state}`);
}

describe('selector circuits', () => {
  it('skips a node whose circuit opened after `failures` failed calls, and lists it', async () => {
    await using s = await setup();
    const a = node('a');
    fail(s.selector, 'greeter', a, 4);
    assert.ok((await picks(s.selector)).has('a'), 'four failures: still closed');
    fail(s.selector, 'greeter', a, 1);
    assert.deepEqual(await picks(s.selector), new Set(['b', 'c']));
    const info = s.selector.circuits!().find((c) => c.node === 'a');
    assert.equal(info?.state, 'open');
    assert.equal(info?.service, 'greeter');
    assert.equal(info?.address, '127.0.0.1:2000');
    assert.equal(info?.failures, 5);
    assert.equal(info?.opened, 1);
    assert.ok(info?.retryAt !== undefined && info.openedAt !== undefined);
  });

  it('says 503 with a retry-after when every node is open', async () => {
    await using s = await setup();
    for (const id of ['a', 'b', 'c']) fail(s.selector, 'greeter', node(id), 5);
    await assert.rejects(s.selector.select('greeter'), (err: MicroError) => {
      assert.equal(err.code, 503);
      assert.equal(err.id, 'micro.client');
      assert.equal(err.detail, 'circuit open for every node of greeter (3 nodes); retry after 5 s');
      assert.equal(err.retryAfter, 5);
      return true;
    });
    assert.deepEqual(await picks(s.selector, 'echo'), new Set(['e']), 'another service is served');
  });

  it('lets one probe through when the open period ends, and closes on its success', async () => {
    await using s = await setup({ breaker: { openFor: 50 } });
    for (const id of ['a', 'b']) fail(s.selector, 'greeter', node(id), 5);
    assert.deepEqual(await picks(s.selector), new Set(['c']));
    await until(s.selector, 'a', 'half-open');
    assert.ok((await picks(s.selector)).has('a'), 'half-open: a may be probed');
    const probe = s.selector.start!('greeter', node('a'));
    assert.ok(!(await picks(s.selector)).has('a'), 'its one probe slot is taken');
    probe();
    assert.equal(s.selector.circuits!().find((c) => c.node === 'a')?.state, 'closed');
    assert.ok((await picks(s.selector)).has('a'));
  });

  it('reopens on a failed probe', async () => {
    await using s = await setup({ breaker: { openFor: 50 } });
    fail(s.selector, 'greeter', node('a'), 5);
    await until(s.selector, 'a', 'half-open');
    fail(s.selector, 'greeter', node('a'), 1);
    const info = s.selector.circuits!().find((c) => c.node === 'a');
    assert.equal(info?.state, 'open');
    assert.equal(info?.opened, 2);
    assert.ok(!(await picks(s.selector)).has('a'));
  });

  it('counts neither 4xx answers nor cancelled calls', async () => {
    await using s = await setup({ breaker: { failures: 2 } });
    const a = node('a');
    for (let i = 0; i < 5; i++) {
      fail(s.selector, 'greeter', a, 1, new MicroError('greeter', 404, 'no such user'));
      fail(s.selector, 'greeter', a, 1, new MicroError('micro.client', 499, 'cancelled'));
      fail(s.selector, 'greeter', a, 1);
    }
    assert.equal(s.selector.circuits!().find((c) => c.node === 'a')?.state, 'closed');
  });

  it("takes a target policy's breaker over its own options", async () => {
    await using s = await setup({
      breaker: false,
      policy: { targets: { echo: { breaker: { failures: 1 } } } },
    });
    fail(s.selector, 'greeter', node('a'), 20);
    assert.ok((await picks(s.selector)).has('a'), 'greeter: no breaker');
    fail(s.selector, 'echo', node('e'), 1);
    await assert.rejects(
      s.selector.select('echo'),
      /circuit open for every node of echo \(1 nodes\)/,
    );
    assert.deepEqual(
      s.selector.circuits!().map((c) => c.node),
      ['e'],
    );
  });

  it('refuses bad breaker options at once', async () => {
    const registry = createMemoryRegistry();
    assert.throws(
      () => createSelector({ registry, policy: { default: { breaker: { ratio: -1 } } } }),
      /breaker\.ratio must be between 0 and 1/,
    );
    await registry.close();
  });

  it('forgets the circuits of nodes gone from the registry view', async () => {
    await using s = await setup();
    await picks(s.selector); // the view is cached and watched
    fail(s.selector, 'greeter', node('c'), 5);
    assert.ok(s.selector.circuits!().some((c) => c.node === 'c'));
    await s.registry.deregister({ ...svc('greeter', ['c']) });
    for (let i = 0; i < 100 && s.selector.circuits!().some((c) => c.node === 'c'); i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.ok(!s.selector.circuits!().some((c) => c.node === 'c'));
  });

  it('keeps avoiding a node it could not reach while others are left, breaker or not', async () => {
    await using s = await setup({ breaker: false });
    fail(s.selector, 'greeter', node('a'), 1);
    assert.ok((await picks(s.selector)).has('a'), 'a node answering 500 is no node fault');
    fail(s.selector, 'greeter', node('b'), 1, refused());
    assert.ok(!(await picks(s.selector)).has('b'));
    s.selector.start!('greeter', node('b'))();
    assert.ok((await picks(s.selector)).has('b'), 'a success lifts the penalty');
  });

  it('gives the strategy the calls in flight and the latency of each node', async () => {
    let seen: NodeLoad | undefined;
    await using s = await setup({
      strategy: (services, load) => {
        seen = load;
        return random(services);
      },
    });
    await s.selector.select('greeter');
    assert.ok(seen);
    const a = node('a');
    const one = s.selector.start!('greeter', a);
    const two = s.selector.start!('greeter', a);
    assert.equal(seen.outstanding('a'), 2);
    assert.equal(seen.latency('a'), undefined);
    one();
    two(boom());
    two(); // a second call of a Done is ignored
    assert.equal(seen.outstanding('a'), 0);
    assert.equal(typeof seen.latency('a'), 'number');
  });
});

// The routing wrappers on a fixed set of services: which destination a call's filters keep, by
// weight, match, stickiness and mirror; no rule: the call as it was.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service } from '../../../src/registry/registry.ts';
import type { CallRequest, CallResponse } from '../../../src/runtime/client/client.ts';
import {
  compileRule,
  MIRRORS_IN_FLIGHT,
  routingCallWrapper,
  routingStreamWrapper,
  type CompiledRule,
  type RuleSource,
  type TrafficRule,
} from '../../../src/platform/routing/index.ts';

const node = (id: string, metadata: Record<string, string> = {}) => ({
  id,
  address: `127.0.0.1:${id.length}`,
  metadata,
});
const services: Service[] = [
  {
    name: 'greeter',
    version: '1.0.0',
    metadata: {},
    endpoints: [],
    nodes: [node('v1a'), node('v1b')],
  },
  {
    name: 'greeter',
    version: '2.0.0',
    metadata: {},
    endpoints: [],
    nodes: [node('v2', { track: 'beta' })],
  },
  { name: 'greeter', version: '3.0.0', metadata: {}, endpoints: [], nodes: [] },
];

/** A rule source holding the given rules, already read. */
function source(...rules: TrafficRule[]): RuleSource {
  const map = new Map<string, CompiledRule>(rules.map((r) => [r.service, compileRule(r)]));
  return { get: (s) => map.get(s), settled: true, first: async () => {}, inside: () => false };
}

/** The version each call's filters keep (the first service left), and every request seen. */
function harness(src: RuleSource) {
  const seen: CallRequest[] = [];
  const call = routingCallWrapper(src)(async (req): Promise<CallResponse> => {
    seen.push(req);
    let s = services;
    for (const f of req.options.filters ?? []) s = f(s);
    const version = s[0]?.version ?? 'none';
    return { body: version, metadata: {}, node: s[0]?.nodes[0] ?? node('none') };
  });
  const version = async (req: Partial<CallRequest> = {}) =>
    (
      await call({
        service: 'greeter',
        endpoint: 'Say.Hello',
        body: {},
        options: {},
        ...req,
      })
    ).body as string;
  return { seen, version, call };
}

const rule = (routes: TrafficRule['routes']): TrafficRule => ({ service: 'greeter', routes });

describe('routing wrappers', () => {
  it('leave a call to a service with no rule exactly as it was', async () => {
    const h = harness(source(rule([{ to: [{ version: '2.0.0' }] }])));
    const req: CallRequest = { service: 'other', endpoint: 'A.B', body: 1, options: {} };
    await h.call(req);
    assert.equal(h.seen[0], req);
  });

  it('split calls by weight: 90/10 within 2 points over 10,000 calls', async () => {
    const h = harness(
      source(
        rule([
          {
            to: [
              { version: '1.0.0', weight: 90 },
              { version: '2.0.0', weight: 10 },
            ],
          },
        ]),
      ),
    );
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) {
      const v = await h.version();
      counts[v] = (counts[v] ?? 0) + 1;
    }
    assert.ok(Math.abs((counts['2.0.0'] ?? 0) / 100 - 10) <= 2, JSON.stringify(counts));
    assert.equal((counts['1.0.0'] ?? 0) + (counts['2.0.0'] ?? 0), 10_000);
  });

  it('give the share of a destination with no node to the others', async () => {
    const h = harness(
      source(
        rule([
          {
            to: [
              { version: '3.0.0', weight: 99 },
              { version: '2.0.0', weight: 1 },
            ],
          },
        ]),
      ),
    );
    for (let i = 0; i < 50; i++) assert.equal(await h.version(), '2.0.0');
  });

  it('keep only the nodes with the labels a destination names', async () => {
    const h = harness(source(rule([{ to: [{ metadata: { track: 'beta' } }] }])));
    assert.equal(await h.version(), '2.0.0');
  });

  it('take the first route whose endpoint and metadata match, the parent metadata included', async () => {
    const h = harness(
      source(
        rule([
          {
            match: { endpoint: 'Say.*', metadata: { 'x-user-id': 'ann' } },
            to: [{ version: '2.0.0' }],
          },
          {
            match: { endpoint: 'Say.Bye' },
            to: [
              { version: '3.0.0' },
              { version: '2.0.0', weight: 0 },
              { version: '1.0.0', weight: 1 },
            ],
          },
          { to: [{ version: '1.0.0' }] },
        ]),
      ),
    );
    assert.equal(await h.version({ options: { metadata: { 'X-User-Id': 'ann' } } }), '2.0.0');
    assert.equal(await h.version({ options: { metadata: { 'x-user-id': 'bob' } } }), '1.0.0');
    const parent = { metadata: { 'x-user-id': 'ann' } } as unknown as NonNullable<
      CallRequest['options']['parent']
    >;
    assert.equal(await h.version({ options: { parent } }), '2.0.0');
    assert.equal(
      await h.version({ endpoint: 'Other.Hello', options: { metadata: { 'x-user-id': 'ann' } } }),
      '1.0.0',
    );
    assert.equal(await h.version({ endpoint: 'Say.Bye' }), '1.0.0');
  });

  it('send one sticky value always to one destination, and values to both', async () => {
    const h = harness(
      source(
        rule([
          {
            sticky: 'x-user-id',
            to: [
              { version: '1.0.0', weight: 50 },
              { version: '2.0.0', weight: 50 },
            ],
          },
        ]),
      ),
    );
    const all = new Set<string>();
    for (let u = 0; u < 40; u++) {
      const got = new Set<string>();
      for (let i = 0; i < 10; i++)
        got.add(await h.version({ options: { metadata: { 'x-user-id': `user-${u}` } } }));
      assert.equal(got.size, 1, `user-${u} reached ${[...got].join(' and ')}`);
      all.add([...got][0]!);
    }
    assert.deepEqual([...all].sort(), ['1.0.0', '2.0.0']);
  });

  it('leave calls pinned to a version, an address or a node alone', async () => {
    const h = harness(source(rule([{ to: [{ version: '2.0.0' }] }])));
    assert.equal(await h.version({ options: { version: '1.0.0' } }), '1.0.0');
    await h.call({
      service: 'greeter',
      endpoint: 'Say.Hello',
      body: {},
      options: { address: '127.0.0.1:1' },
    });
    assert.equal(h.seen.at(-1)?.options.filters, undefined);
  });

  it('mirror a share of calls with micro-mirror: 1 and no retries; the caller gets the primary answer', async () => {
    const h = harness(
      source(rule([{ to: [{ version: '1.0.0' }], mirror: { version: '2.0.0', percent: 100 } }])),
    );
    assert.equal(await h.version({ options: { retries: 3, metadata: { a: 'b' } } }), '1.0.0');
    await new Promise((r) => setImmediate(r));
    const copy = h.seen.find((r) => r.options.metadata?.['micro-mirror'] === '1');
    assert.ok(copy, 'a mirrored copy was sent');
    assert.equal(copy.options.retries, 0);
    assert.equal(copy.options.metadata?.a, 'b');
    let s = services;
    for (const f of copy.options.filters ?? []) s = f(s);
    assert.equal(s[0]?.version, '2.0.0');
  });

  it(`never has more than ${MIRRORS_IN_FLIGHT} mirrored copies in flight`, async () => {
    let copies = 0;
    const release: (() => void)[] = [];
    const call = routingCallWrapper(
      source(rule([{ to: [{ version: '1.0.0' }], mirror: { version: '2.0.0', percent: 100 } }])),
    )((req) => {
      if (req.options.metadata?.['micro-mirror'] !== '1')
        return Promise.resolve({ body: 1, metadata: {}, node: node('x') });
      copies++;
      return new Promise((resolve) =>
        release.push(() => resolve({ body: 2, metadata: {}, node: node('y') })),
      );
    });
    for (let i = 0; i < MIRRORS_IN_FLIGHT + 50; i++)
      await call({ service: 'greeter', endpoint: 'Say.Hello', body: {}, options: {} });
    assert.equal(copies, MIRRORS_IN_FLIGHT);
    for (const r of release) r();
  });

  it('route streams too', async () => {
    let filters: unknown[] | undefined;
    const open = routingStreamWrapper(source(rule([{ to: [{ version: '2.0.0' }] }])))(async (
      req,
    ) => {
      filters = req.options.filters;
      return undefined as never;
    });
    await open({ service: 'greeter', endpoint: 'Say.Stream', options: {} });
    assert.equal(filters?.length, 1);
  });

  it('wait for the first read of the rules before routing; a pinned call does not wait', async () => {
    const map = new Map([['greeter', compileRule(rule([{ to: [{ version: '2.0.0' }] }]))]]);
    let settle!: () => void;
    const read = new Promise<void>((r) => (settle = r));
    const src: RuleSource = {
      get: (s) => map.get(s),
      settled: false,
      first: () => read,
      inside: () => false,
    };
    const h = harness(src);
    const waiting = h.version();
    const pinned = h.version({ options: { version: '1.0.0' } });
    assert.equal(await pinned, '1.0.0');
    assert.equal(h.seen.length, 1, 'only the pinned call went out');
    settle();
    assert.equal(await waiting, '2.0.0');
  });
});

describe('a rule whose destinations have no node', () => {
  it('names the rule, its route and destinations in the selector’s 503', async () => {
    const { createMemoryRegistry } = await import('../../../src/registry/memory.ts');
    const { createSelector } = await import('../../../src/runtime/selector/cache.ts');
    const registry = createMemoryRegistry();
    await registry.register(services[0]!);
    const selector = createSelector({ registry, watch: false });
    const h = harness(source(rule([{ name: 'canary', to: [{ version: '2.0.1' }] }])));
    await h.version();
    const filters = h.seen[0]!.options.filters;
    await assert.rejects(
      selector.select('greeter', { filters }),
      (e: Error & { code: number; detail: string }) => {
        assert.equal(e.code, 503);
        assert.match(
          e.detail,
          /^service greeter has no node that matches the traffic rule of greeter \(route "canary": version 2\.0\.1; micro route get greeter\)/,
        );
        return true;
      },
    );
    selector.close();
    await registry.close();
  });
});

// The contract of Routes (traffic rules kept in a Config), run unchanged against every Config
// implementation: memory, the control plane's and etcd. Each test uses a namespace of its own.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  createRuleCache,
  ROUTE_LIMITS,
  type RouteChange,
  type Routes,
  type RoutesWatcher,
  type TrafficRule,
} from '../../src/platform/routing/index.ts';

/** A namespace no other test uses. */
const fresh = (): string => `routes-${randomBytes(5).toString('hex')}`;

/** Asserts that a promise fails with a 400 whose detail matches `detail`. */
async function refused(p: Promise<unknown>, detail: RegExp, code = 400): Promise<void> {
  await assert.rejects(p, (e: { code?: unknown; detail?: unknown; id?: unknown }) => {
    assert.equal(e.code, code, String(e.detail));
    assert.match(String(e.detail), detail);
    assert.equal(typeof e.id, 'string');
    return true;
  });
}

/** The next change a watcher reports, or a failure after 10 s. */
async function next(w: RoutesWatcher): Promise<RouteChange> {
  const it = w[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    it.next(),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no change reported within 10 s')), 10_000);
    }),
  ]);
  clearTimeout(timer);
  assert.equal(r.done, false, 'the watcher ended');
  return r.value;
}

const canary = (service: string, v2 = 10): TrafficRule => ({
  service,
  routes: [
    { name: 'beta', match: { metadata: { 'x-user-id': 'ann' } }, to: [{ version: '2.0.0' }] },
    {
      name: 'canary',
      to: [
        { version: '1.0.0', weight: 100 - v2 },
        { version: '2.0.0', weight: v2 },
      ],
      mirror: { version: '3.0.0', percent: 5 },
    },
  ],
});

/** Runs the routes contract against Routes made by `make` over a fresh namespace each time. */
export function runRoutingCases(
  label: string,
  make: (namespace: string) => Routes | Promise<Routes>,
): void {
  describe(`routing contract: ${label}`, () => {
    /** Routes over a fresh namespace, closed after fn. */
    const withRoutes = async (fn: (r: Routes, ns: string) => Promise<void>) => {
      const ns = fresh();
      const routes = await make(ns);
      try {
        await fn(routes, ns);
      } finally {
        await routes.close();
      }
    };

    it('keeps a rule per service, dotted names included, with who set it and when', async () =>
      withRoutes(async (routes) => {
        assert.deepEqual(await routes.list(), []);
        assert.equal(await routes.get('greeter'), undefined);
        const before = Date.now();
        const stored = await routes.set(canary('greeter'), { author: 'ann' });
        assert.equal(stored.author, 'ann');
        assert.ok((stored.updated ?? 0) >= before);
        await routes.set(canary('go.micro.srv.greeter', 50), { author: 'bob' });
        const got = await routes.get('greeter');
        assert.deepEqual(got?.routes, canary('greeter').routes);
        assert.equal(got?.author, 'ann');
        assert.deepEqual(
          (await routes.list()).map((r) => [r.service, r.author]),
          [
            ['go.micro.srv.greeter', 'bob'],
            ['greeter', 'ann'],
          ],
        );
        assert.equal((await routes.get('go.micro.srv.greeter'))?.routes[1]?.to[1]?.weight, 50);
      }));

    it('refuses a rule past any bound with a 400 naming the field, storing nothing', async () =>
      withRoutes(async (routes) => {
        await routes.set(canary('greeter'));
        const many = <T>(n: number, f: (i: number) => T): T[] =>
          Array.from({ length: n }, (_, i) => f(i));
        const labels = (n: number) => Object.fromEntries(many(n, (i) => [`k${i}`, 'v']));
        const long = 'x'.repeat(ROUTE_LIMITS.stringLength + 1);
        const bad: [unknown, RegExp][] = [
          [null, /^rule must be an object/],
          [{ service: 'greeter' }, /^rule\.routes must be a list/],
          [{ service: 'bad name!', routes: [{ to: [{ version: '1' }] }] }, /^rule\.service /],
          [{ service: 'greeter', routes: [] }, /^rule\.routes has 0 items/],
          [
            {
              service: 'greeter',
              routes: many(ROUTE_LIMITS.routes + 1, () => ({ to: [{ version: '1' }] })),
            },
            /^rule\.routes has 33 items; it must have 1 to 32/,
          ],
          [
            {
              service: 'greeter',
              routes: [{ to: many(ROUTE_LIMITS.destinations + 1, (i) => ({ version: `${i}` })) }],
            },
            /^rule\.routes\[0\]\.to has 17 items/,
          ],
          [
            {
              service: 'greeter',
              routes: [
                {
                  match: { metadata: labels(ROUTE_LIMITS.metadataKeys + 1) },
                  to: [{ version: '1' }],
                },
              ],
            },
            /^rule\.routes\[0\]\.match\.metadata has 17 keys, over the limit of 16/,
          ],
          [
            { service: 'greeter', routes: [{ to: [{ version: '1', metadata: labels(17) }] }] },
            /^rule\.routes\[0\]\.to\[0\]\.metadata has 17 keys/,
          ],
          [
            { service: 'greeter', routes: [{ to: [{ version: long }] }] },
            /^rule\.routes\[0\]\.to\[0\]\.version is 257 characters long, over the limit of 256/,
          ],
          [
            { service: 'greeter', routes: [{ name: long, to: [{ version: '1' }] }] },
            /^rule\.routes\[0\]\.name is 257/,
          ],
          [
            { service: 'greeter', routes: [{ to: [{ version: '1', weight: 101 }] }] },
            /^rule\.routes\[0\]\.to\[0\]\.weight must be a number from 0 to 100/,
          ],
          [
            { service: 'greeter', routes: [{ to: [{ version: '1', weight: 0 }] }] },
            /^rule\.routes\[0\]\.to has only weights of 0/,
          ],
          [
            { service: 'greeter', routes: [{ to: [{}] }] },
            /^rule\.routes\[0\]\.to\[0\] must name a version or metadata labels/,
          ],
          [
            { service: 'greeter', routes: [{ to: [{ version: '1' }], mirror: { version: '2' } }] },
            /^rule\.routes\[0\]\.mirror\.percent is required/,
          ],
          [
            {
              service: 'greeter',
              routes: [{ to: [{ version: '1' }], mirror: { version: '2', percent: -1 } }],
            },
            /^rule\.routes\[0\]\.mirror\.percent must be a number from 0 to 100/,
          ],
          [
            {
              service: 'greeter',
              routes: [{ match: { endpoint: 'Hello' }, to: [{ version: '1' }] }],
            },
            /^rule\.routes\[0\]\.match\.endpoint "Hello" must be Handler\.Method/,
          ],
          [
            { service: 'greeter', routes: [{ to: [{ version: '1' }], sticky: 7 }] },
            /^rule\.routes\[0\]\.sticky must be a non-empty string/,
          ],
          [
            { service: 'greeter', routes: [{ to: [{ version: '1' }], weight: 5 }] },
            /^rule\.routes\[0\] has an unknown field "weight"/,
          ],
          [
            { service: 'greeter', routes: [{ to: [{ version: '1', metadata: { a: 1 } }] }] },
            /^rule\.routes\[0\]\.to\[0\]\.metadata\.a must be a non-empty string/,
          ],
        ];
        const history = await routes.history();
        for (const [input, detail] of bad) await refused(routes.set(input as TrafficRule), detail);
        assert.deepEqual(await routes.history(), history);
        assert.deepEqual((await routes.get('greeter'))?.routes, canary('greeter').routes);
        await refused(routes.get('no/such'), /^service /);
      }));

    it('deletes a rule (false when there was none)', async () =>
      withRoutes(async (routes) => {
        await routes.set(canary('greeter'));
        assert.equal(await routes.delete('greeter'), true);
        assert.equal(await routes.get('greeter'), undefined);
        assert.equal(await routes.delete('greeter'), false);
        assert.deepEqual(await routes.list(), []);
      }));

    it('lists its versions newest first and rolls back, by default the latest change', async () =>
      withRoutes(async (routes) => {
        await refused(routes.rollback(), /nothing to undo/, 404);
        await routes.set(canary('greeter', 10), { author: 'ann' });
        await routes.set(canary('greeter', 50), { author: 'bob' });
        await routes.delete('greeter', { author: 'cy' });
        const h = await routes.history();
        assert.deepEqual(
          h.map((v) => [v.version, v.author, v.action]),
          [
            [3, 'cy', 'delete'],
            [2, 'bob', 'set'],
            [1, 'ann', 'set'],
          ],
        );
        const undo = await routes.rollback(undefined, { author: 'dee' });
        assert.deepEqual([undo.version, undo.author, undo.action], [4, 'dee', 'rollback']);
        assert.equal((await routes.get('greeter'))?.routes[1]?.to[1]?.weight, 50);
        await routes.rollback(1);
        assert.equal((await routes.get('greeter'))?.routes[1]?.to[1]?.weight, 10);
        assert.equal((await routes.history(2)).length, 2);
      }));

    it('reports each rule that changes to a watcher', async () =>
      withRoutes(async (routes) => {
        await routes.set(canary('a'));
        const w = routes.watch();
        await w.ready;
        await routes.set(canary('b'));
        assert.deepEqual(await next(w), { service: 'b', rule: await routes.get('b') });
        await routes.set(canary('a', 20));
        const a = await next(w);
        assert.equal(a.service, 'a');
        assert.equal(a.rule?.routes[1]?.to[1]?.weight, 20);
        await routes.delete('b');
        assert.deepEqual(await next(w), { service: 'b', rule: undefined });
        await routes.rollback();
        assert.equal((await next(w)).service, 'b');
        w.stop();
      }));

    it('keeps every one of concurrent changes from two clients', async () =>
      withRoutes(async (routes, ns) => {
        const other = await make(ns);
        try {
          await Promise.all(
            Array.from({ length: 6 }, (_, i) => (i % 2 ? other : routes).set(canary(`svc-${i}`))),
          );
          assert.equal((await routes.list()).length, 6);
          assert.equal((await other.list()).length, 6);
        } finally {
          await other.close();
        }
      }));

    it('feeds a client-side rule cache that sees each change through the watch', async () =>
      withRoutes(async (routes, ns) => {
        await routes.set(canary('greeter'));
        const cache = createRuleCache({
          routes: () => routes,
          compile: (r) => r.routes.length,
          refresh: 600_000,
        });
        try {
          await cache.first();
          assert.equal(cache.settled, true);
          assert.equal(cache.get('greeter'), 2);
          assert.equal(cache.get('other'), undefined);
          const writer = await make(ns);
          await writer.set({ service: 'other', routes: [{ to: [{ version: '1' }] }] });
          await writer.delete('greeter');
          await writer.close();
          for (
            let i = 0;
            i < 200 && (cache.get('other') === undefined || cache.get('greeter') !== undefined);
            i++
          )
            await new Promise((r) => setTimeout(r, 50));
          assert.equal(cache.get('other'), 1);
          assert.equal(cache.get('greeter'), undefined);
          assert.deepEqual(
            cache.rules().map((r) => r.service),
            ['other'],
          );
        } finally {
          await cache.close();
        }
      }));
  });
}

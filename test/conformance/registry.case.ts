import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, describe, it } from 'node:test';
import type {
  Registry,
  RegistryOptions,
  Service,
  WatchEvent,
  Watcher,
} from '../../src/registry/registry.ts';
import { listPage, listPages } from '../../src/registry/listing.ts';
import { RegistryErrors } from '../../src/registry/registry.ts';
import { micro } from '../helpers/cli.ts';
import { record } from '../helpers/fixtures.ts';

/** What the suite may ask of `make`: limits on records, and where warnings go. */
export type CaseOptions = Pick<RegistryOptions, 'limits' | 'warn'>;

/** What a registry implementation declares about itself to the suite. */
export interface RegistryCaseOptions {
  /** Two instances made by `make` see one another's registrations (a real, shared backend). */
  shared?: boolean;
  /** Milliseconds to allow for a change to be visible (propagation). */
  settle?: number;
  /** A registry that is a client of a server at an address (etcd, NATS, the control plane); shared. */
  engine?: EngineCaseOptions;
}

/** What the suite needs to know of a registry that is a client of a server. */
export interface EngineCaseOptions {
  /** How its errors name the server before ` at <address>`: `etcd`, `NATS`, `the registry`. */
  where: string;
  /** The server's address in the test, once it runs. */
  address(): string;
  /** The registry's factory: a client of the server at `address` that gives up after `timeout` ms. */
  connect(options: { address: string; timeout?: number }): Registry;
  /** What the error advises when nothing answers at 127.0.0.1:1. */
  advice: RegExp;
  /** The registry's name for the CLI's --registry. */
  flag: string;
}

const svc = (name: string, version: string, ...ids: string[]): Service => ({
  name,
  version,
  metadata: { team: 'core' },
  endpoints: [
    {
      name: 'Say.Hello',
      request: { type: 'object', properties: { name: { type: 'string' } } },
      metadata: {},
    },
  ],
  nodes: ids.map((id, i) => ({ id, address: `127.0.0.1:${9000 + i}`, metadata: { zone: 'a' } })),
});

/** Resolves with the first event the predicate accepts, or rejects after `ms`. */
async function nextEvent(
  w: Watcher,
  accept: (e: WatchEvent) => boolean,
  ms: number,
): Promise<WatchEvent> {
  const it = w[Symbol.asyncIterator]();
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error('no matching watch event in time');
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      it.next(),
      new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), left))),
    ]);
    clearTimeout(timer);
    if (r === 'timeout') throw new Error('no matching watch event in time');
    if (r.done) throw new Error('watcher ended');
    if (accept(r.value)) return r.value;
  }
}

/** Polls until `check` passes or `ms` runs out; for backends that do not push changes. */
async function eventually(check: () => Promise<void>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** The node ids of the first version of `name` that `r` lists, in its order. */
async function nodeIds(r: Registry, name: string): Promise<string[] | undefined> {
  const [s] = await r.getService(name);
  return s?.nodes.map((n) => n.id);
}

/** Where a client of a server says what is wrong: nothing answers, no such service; and the CLI on it. */
function runEngineCases(label: string, engine: EngineCaseOptions): void {
  describe(`registry engine: ${label}`, () => {
    it(`says which address it tried and what to do when ${engine.where} does not answer`, async () => {
      const r = engine.connect({ address: '127.0.0.1:1', timeout: 1000 });
      await assert.rejects(r.listServices(), (e: Error & { code?: string }) => {
        assert.equal(e.code, RegistryErrors.unavailable);
        assert.ok(e.message.includes(`${engine.where} at 127.0.0.1:1`), e.message);
        assert.match(e.message, engine.advice);
        return true;
      });
      await r.close();
    });

    it(`names ${engine.where} and its address when a service is not found`, async () => {
      const r = engine.connect({ address: engine.address() });
      await assert.rejects(r.getService('nobody-here'), (e: Error & { code?: string }) => {
        assert.equal(e.code, RegistryErrors.notFound);
        assert.equal(
          e.message,
          `service nobody-here not found in ${engine.where} at ${engine.address()}`,
        );
        return true;
      });
      await r.close();
    });

    it(`serves the micro CLI: list services --registry ${engine.flag}`, async () => {
      const r = engine.connect({ address: engine.address() });
      const service = record('cli-greeter', { node: 'g1', address: '127.0.0.1:9999' });
      await r.register(service);
      try {
        const run = await micro([
          'list',
          'services',
          '--registry',
          engine.flag,
          '--registry-address',
          engine.address(),
        ]);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /cli-greeter/);
      } finally {
        await r.deregister(service);
        await r.close();
      }
    });
  });
}

/** The registry contract: every implementation runs these cases. */
export function runRegistryCases(
  label: string,
  make: (options?: CaseOptions) => Registry | Promise<Registry>,
  options: RegistryCaseOptions = {},
): void {
  const settle = options.settle ?? 2000;
  describe(`registry contract: ${label}`, () => {
    const made: Registry[] = [];
    const fresh = async (o?: CaseOptions): Promise<Registry> => {
      const r = await make(o);
      made.push(r);
      return r;
    };
    const unique = (base: string) => `${base}-${randomUUID().slice(0, 8)}`;
    /** Waits until `r` lists these node ids of `name`, in any order; none: until it is not found. */
    const listsNodes = (r: Registry, name: string, ids: string[]): Promise<void> =>
      eventually(async () => {
        if (ids.length === 0) await assert.rejects(r.getService(name));
        else assert.deepEqual((await nodeIds(r, name))?.sort(), [...ids].sort());
      }, settle);
    after(async () => {
      for (const r of made) await r.close();
    });
    const watchers: Watcher[] = [];
    /** A watch of `service` that is stopped when the case ends. */
    const watch = (r: Registry, service: string): Watcher => {
      const w = r.watch({ service });
      watchers.push(w);
      return w;
    };
    afterEach(() => {
      for (const w of watchers.splice(0)) w.stop();
    });

    it('registers a service and returns it with its nodes, metadata and endpoints', async () => {
      const r = await fresh();
      const name = unique('greeter');
      await r.register(svc(name, '1.0.0', 'n1'));
      await eventually(async () => {
        const [found, ...rest] = await r.getService(name);
        assert.equal(rest.length, 0);
        assert.equal(found?.name, name);
        assert.equal(found?.version, '1.0.0');
        assert.deepEqual(found?.metadata, { team: 'core' });
        assert.equal(found?.endpoints[0]?.name, 'Say.Hello');
        assert.deepEqual(found?.endpoints[0]?.request, svc(name, '', 'x').endpoints[0]?.request);
        assert.deepEqual(found?.nodes, [
          { id: 'n1', address: '127.0.0.1:9000', metadata: { zone: 'a' } },
        ]);
      }, settle);
      await r.deregister(svc(name, '1.0.0', 'n1'));
    });

    it('throws a not-found error naming the service when it is unknown', async () => {
      const r = await fresh();
      const name = unique('nobody');
      await assert.rejects(r.getService(name), (err: Error & { code?: string }) => {
        assert.equal(err.code, RegistryErrors.notFound);
        assert.match(err.message, new RegExp(name));
        return true;
      });
    });

    it('keeps one entry per version and lists them all', async () => {
      const r = await fresh();
      const name = unique('versions');
      await r.register(svc(name, '1.0.0', 'a'));
      await r.register(svc(name, '2.0.0', 'b'));
      await eventually(async () => {
        const versions = (await r.getService(name)).map((s) => s.version).sort();
        assert.deepEqual(versions, ['1.0.0', '2.0.0']);
        const listed = (await r.listServices()).filter((s) => s.name === name);
        assert.equal(listed.length, 2);
      }, settle);
      await r.deregister(svc(name, '1.0.0', 'a'));
      await r.deregister(svc(name, '2.0.0', 'b'));
    });

    it('registers idempotently and removes nodes one by one', async () => {
      const r = await fresh();
      const name = unique('nodes');
      await r.register(svc(name, '1.0.0', 'a', 'b'));
      await r.register(svc(name, '1.0.0', 'a', 'b'));
      await listsNodes(r, name, ['a', 'b']);
      await r.deregister(svc(name, '1.0.0', 'a'));
      await listsNodes(r, name, ['b']);
      await r.deregister(svc(name, '1.0.0', 'b'));
      await listsNodes(r, name, []);
    });

    it('reports create, update and delete to a watcher filtered by service', async () => {
      const r = await fresh();
      const name = unique('watched');
      const other = unique('other');
      const w = watch(r, name);
      try {
        await r.register(svc(other, '1.0.0', 'x'));
        await r.register(svc(name, '1.0.0', 'a'));
        const created = await nextEvent(w, (e) => e.service.version === '1.0.0', settle);
        assert.equal(
          created.service.name,
          name,
          'the filter lets only the watched service through',
        );
        assert.equal(created.action, 'create');
        await r.register(svc(name, '1.0.0', 'b'));
        const updated = await nextEvent(
          w,
          (e) => e.service.nodes.some((n) => n.id === 'b'),
          settle,
        );
        assert.equal(updated.action, 'update');
        await r.deregister(svc(name, '1.0.0', 'a', 'b'));
        const deleted = await nextEvent(w, (e) => e.action === 'delete', settle);
        assert.equal(deleted.service.name, name);
      } finally {
        await r.deregister(svc(other, '1.0.0', 'x'));
      }
    });

    it('expires a node whose lease ran out, and keeps one that is renewed', async () => {
      const r = await fresh();
      const name = unique('lease');
      const w = watch(r, name);
      try {
        await r.register(svc(name, '1.0.0', 'dies'), { ttl: 600 });
        await r.register(svc(name, '1.0.0', 'lives'), { ttl: 600 });
        const started = Date.now();
        const renew = setInterval(
          () => void r.register(svc(name, '1.0.0', 'lives'), { ttl: 600 }),
          150,
        );
        try {
          const gone = await nextEvent(
            w,
            (e) => !e.service.nodes.some((n) => n.id === 'dies') && e.action !== 'create',
            600 + settle,
          );
          assert.ok(Date.now() - started >= 500, 'not before its TTL');
          assert.deepEqual(
            gone.service.nodes.map((n) => n.id),
            ['lives'],
          );
          assert.deepEqual(await nodeIds(r, name), ['lives']);
        } finally {
          clearInterval(renew);
        }
      } finally {
        await r.deregister(svc(name, '1.0.0', 'lives'));
      }
    });

    it('returns copies that callers cannot use to change its state', async () => {
      const r = await fresh();
      const name = unique('copies');
      const s = svc(name, '1.0.0', 'a');
      await r.register(s);
      s.metadata.team = 'changed';
      await eventually(async () => {
        const [found] = await r.getService(name);
        assert.equal(found?.metadata.team, 'core');
        if (found) found.nodes.length = 0;
        const [again] = await r.getService(name);
        assert.equal(again?.nodes.length, 1);
      }, settle);
      await r.deregister(s);
    });

    it('refuses a service without a name or with a node without an id', async () => {
      const r = await fresh();
      await assert.rejects(r.register({ ...svc('', '1', 'a') }));
      await assert.rejects(
        r.register({ ...svc(unique('bad'), '1'), nodes: [{ id: '', address: 'x', metadata: {} }] }),
      );
    });

    /** Rejects with MICRO_ERR_REGISTRY_INVALID and a message matching `field`. */
    const invalid = (p: Promise<unknown>, field: RegExp, label: string): Promise<void> =>
      assert.rejects(p, (err: Error & { code?: string }) => {
        assert.equal(err.code, RegistryErrors.invalid, `${label}: ${err.message}`);
        assert.match(err.message, field, label);
        return true;
      });

    it('refuses metadata that is not strings, naming the field', async () => {
      const r = await fresh();
      const name = unique('typed');
      const bad = svc(name, '1.0.0', 'a');
      (bad.endpoints[0]!.metadata as Record<string, unknown>) = { path: 5, method: 7 };
      await invalid(r.register(bad), /^endpoints\[0\]\.metadata\.path must be a string/, 'path');
      const node = svc(name, '1.0.0', 'a');
      (node.nodes[0]!.metadata as Record<string, unknown>).x = { deep: true };
      await invalid(r.register(node), /^nodes\[0\]\.metadata\.x must be a string/, 'node');
      const top = { ...svc(name, '1.0.0', 'a'), metadata: 'team=core' } as unknown as Service;
      await invalid(r.register(top), /^metadata must be an object of strings/, 'top');
      await assert.rejects(r.getService(name), { code: RegistryErrors.notFound });
    });

    it('refuses hostile and oversized names, versions, ids and addresses', async () => {
      const r = await fresh();
      for (const name of [
        '<script>alert(1)</script>',
        'a/b',
        'a\0b',
        'x'.repeat(10_240),
        '\x1b[2J\x1b[31mred',
        '..',
        '',
      ])
        await invalid(
          r.register(svc(name, '1.0.0', 'a')),
          /^name /,
          JSON.stringify(name.slice(0, 20)),
        );
      const name = unique('fields');
      await invalid(r.register(svc(name, '1\x1b[31m', 'a')), /^version /, 'version');
      await invalid(r.register(svc(name, '1.0.0', 'a b')), /^nodes\[0\]\.id /, 'id');
      const addr = svc(name, '1.0.0', 'a');
      addr.nodes[0]!.address = '127.0.0.1:1\r\nHost: evil';
      await invalid(r.register(addr), /^nodes\[0\]\.address /, 'address');
      const key = svc(name, '1.0.0', 'a');
      key.metadata['\x1b]0;title\x07'] = 'x';
      await invalid(r.register(key), /^metadata has a key "\\u001b/, 'key');
      await assert.rejects(r.getService(name), { code: RegistryErrors.notFound });
    });

    it('refuses a record larger than its limit, and deep schemas', async () => {
      const r = await fresh();
      const name = unique('huge');
      const big = svc(name, '1.0.0', 'a');
      big.endpoints[0]!.request = { type: 'object', description: 'x'.repeat(2 * 1024 * 1024) };
      await invalid(r.register(big), /larger than 1048576 characters/, 'size');
      const deep = svc(name, '1.0.0', 'a');
      let schema: Record<string, unknown> = { type: 'string' };
      for (let i = 0; i < 100; i++) schema = { type: 'array', items: schema };
      deep.endpoints[0]!.response = schema;
      await invalid(r.register(deep), /^endpoints\[0\]\.response is nested deeper/, 'depth');
      await assert.rejects(r.getService(name), { code: RegistryErrors.notFound });
    });

    it('refuses a lease of 0, below 0, not a number or beyond its limit', async () => {
      const r = await fresh();
      const name = unique('ttl');
      for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 86_400_001, '5' as never])
        await invalid(r.register(svc(name, '1.0.0', 'a'), { ttl }), /^ttl must be/, String(ttl));
      await assert.rejects(r.getService(name), { code: RegistryErrors.notFound });
    });

    it('expires a registration that names no lease after the default lease', async () => {
      const r = await fresh({ limits: { defaultTtl: 500 } });
      const name = unique('default-lease');
      const w = watch(r, name);
      await r.register(svc(name, '1.0.0', 'a'));
      const gone = await nextEvent(w, (e) => e.action === 'delete', 1000 + settle);
      assert.equal(gone.service.name, name);
    });

    it('takes names, versions and metadata of every shape micro itself registers', async () => {
      const r = await fresh();
      const name = `topic:orders.created/eu-${randomUUID().slice(0, 8)}`;
      const s: Service = {
        name,
        version: '1.2.3-beta.1+build.5',
        metadata: {
          'content-types': 'application/json,application/msgpack',
          note: 'é ☕\n\x1b[31m',
        },
        endpoints: [
          { name: 'Say.Hello', metadata: { path: '/hello/{name}', method: 'GET' } },
          { name: 'orders.created', metadata: { subscriber: 'true', topic: 'orders.created' } },
        ],
        nodes: [{ id: `${randomUUID()}`, address: '[::1]:9100', metadata: { zone: 'a' } }],
      };
      await r.register(s, { ttl: 60_000 });
      await eventually(async () => {
        assert.deepEqual(await r.getService(name), [s]);
      }, settle);
      await r.deregister(s);
    });

    it('refuses members a record does not have, naming them', async () => {
      const r = await fresh();
      const name = unique('members');
      const top = { ...svc(name, '1.0.0', 'a'), ttl: 30_000 } as Service;
      await invalid(r.register(top), /^ttl is not a field of a service; it has name, /, 'top');
      const node = svc(name, '1.0.0', 'a');
      (node.nodes[0] as unknown as Record<string, unknown>).weight = 5;
      await invalid(r.register(node), /^nodes\[0\]\.weight is not a field of a node/, 'node');
      const ep = svc(name, '1.0.0', 'a');
      (ep.endpoints[0] as unknown as Record<string, unknown>).path = '/a';
      await invalid(r.register(ep), /^endpoints\[0\]\.path is not a field of an endpoint/, 'ep');
      await invalid(r.deregister(node), /^nodes\[0\]\.weight is not a field/, 'deregister');
      await assert.rejects(r.getService(name), { code: RegistryErrors.notFound });
    });

    it('lists in pages, in natural order, filtered by prefix, each version once', async () => {
      const r = await fresh();
      const prefix = unique('pages');
      const all = [
        ...[10, 2, 1, 11, 3].map((i) => svc(`${prefix}-svc-${i}`, '1.0.0', `n${i}`)),
        svc(`${prefix}-svc-2`, '1.10.0', 'b'),
        svc(`${prefix}-svc-2`, '1.9.0', 'c'),
      ];
      for (const s of all) await r.register(s, { ttl: 60_000 });
      try {
        await eventually(async () => {
          const seen: string[] = [];
          for await (const page of listPages(r, { prefix, limit: 2 })) {
            assert.ok(page.services.length <= 2);
            seen.push(
              ...page.services.map((s) => `${s.name.slice(prefix.length + 1)}@${s.version}`),
            );
          }
          assert.deepEqual(seen, [
            'svc-1@1.0.0',
            'svc-2@1.0.0',
            'svc-2@1.9.0',
            'svc-2@1.10.0',
            'svc-3@1.0.0',
            'svc-10@1.0.0',
            'svc-11@1.0.0',
          ]);
          const first = await listPage(r, { prefix, summary: true, limit: 2 });
          assert.deepEqual(first.summaries[1], {
            name: `${prefix}-svc-2`,
            versions: ['1.0.0', '1.9.0', '1.10.0'],
            nodes: 3,
            endpoints: 1,
          });
          const rest = await listPage(r, { prefix, summary: true, cursor: first.next });
          assert.deepEqual(
            rest.summaries.map((s) => s.name.slice(prefix.length + 1)),
            ['svc-3', 'svc-10', 'svc-11'],
          );
          assert.equal(rest.next, undefined);
        }, settle);
        await assert.rejects(listPage(r, { limit: 0 }), (err: Error & { code?: string }) => {
          assert.equal(err.code, RegistryErrors.invalid);
          assert.match(err.message, /^limit must be a whole number from 1 to 1000/);
          return true;
        });
      } finally {
        for (const s of all) await r.deregister(s);
      }
    });

    it('refuses a deregistration that names no node ids', async () => {
      const r = await fresh();
      const bad = { ...svc(unique('dereg'), '1.0.0'), nodes: [{ address: 'x' }] } as never;
      await invalid(r.deregister(bad), /^nodes\[0\]\.id must be a string/, 'id');
      await invalid(
        r.deregister({ name: 'a/b', version: '1', nodes: [] } as never),
        /^name /,
        'name',
      );
    });

    if (options.shared || options.engine) {
      it('does not pass on a record another client wrote beyond its limits', async () => {
        const warnings: string[] = [];
        const loose = await fresh({ limits: { metadataValueLength: 20_000 } });
        const strict = await fresh({ warn: (m) => warnings.push(m) });
        const name = unique('loose');
        const w = watch(strict, name);
        const marker = unique('marker');
        try {
          const long = { ...svc(name, '1.0.0', 'a'), metadata: { note: 'x'.repeat(10_000) } };
          // The engine refuses it (the control plane checks too), or readers drop it.
          const refused = await loose.register(long).then(
            () => false,
            (err: Error & { code?: string }) => {
              assert.equal(err.code, RegistryErrors.invalid);
              return true;
            },
          );
          // A valid registration after it: once it is seen, the bad one would have been too.
          await loose.register(svc(marker, '1.0.0', 'm'));
          await eventually(async () => {
            assert.ok((await strict.listServices()).some((s) => s.name === marker));
          }, settle);
          assert.ok(!(await strict.listServices()).some((s) => s.name === name));
          await assert.rejects(strict.getService(name), { code: RegistryErrors.notFound });
          await loose.register(svc(name, '1.0.0', 'b'));
          const first = await nextEvent(w, () => true, settle);
          assert.deepEqual(
            first.service.nodes.map((n) => n.id),
            ['b'],
            'the watch never reported the invalid node',
          );
          if (!refused)
            assert.ok(
              warnings.some((m) => /metadata\.note is 10000 characters long/.test(m)),
              `a warning names the field: ${warnings.join('; ')}`,
            );
        } finally {
          await loose.deregister(svc(name, '1.0.0', 'a', 'b')).catch(() => undefined);
          await loose.deregister(svc(marker, '1.0.0', 'm'));
        }
      });

      it('shows one client the registrations of another', async () => {
        const a = await fresh();
        const b = await fresh();
        const name = unique('shared');
        await a.register(svc(name, '1.0.0', 'a1'));
        await listsNodes(b, name, ['a1']);
        await a.deregister(svc(name, '1.0.0', 'a1'));
        await listsNodes(b, name, []);
      });
    }
  });
  if (options.engine) runEngineCases(label, options.engine);
}

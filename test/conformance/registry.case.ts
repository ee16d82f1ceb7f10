import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { Registry, Service, WatchEvent, Watcher } from '../../src/registry/registry.ts';
import { RegistryErrors } from '../../src/registry/registry.ts';

/** What a registry implementation declares about itself to the suite. */
export interface RegistryCaseOptions {
  /** Two instances made by `make` see one another's registrations (a real, shared backend). */
  shared?: boolean;
  /** Milliseconds to allow for a change to be visible (propagation). */
  settle?: number;
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

/** The registry contract: every implementation runs these cases. */
export function runRegistryCases(
  label: string,
  make: () => Registry | Promise<Registry>,
  options: RegistryCaseOptions = {},
): void {
  const settle = options.settle ?? 2000;
  describe(`registry contract: ${label}`, () => {
    const made: Registry[] = [];
    const fresh = async (): Promise<Registry> => {
      const r = await make();
      made.push(r);
      return r;
    };
    const unique = (base: string) => `${base}-${randomUUID().slice(0, 8)}`;
    after(async () => {
      for (const r of made) await r.close();
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
      await eventually(async () => {
        const [s] = await r.getService(name);
        assert.deepEqual(s?.nodes.map((n) => n.id).sort(), ['a', 'b']);
      }, settle);
      await r.deregister(svc(name, '1.0.0', 'a'));
      await eventually(async () => {
        const [s] = await r.getService(name);
        assert.deepEqual(
          s?.nodes.map((n) => n.id),
          ['b'],
        );
      }, settle);
      await r.deregister(svc(name, '1.0.0', 'b'));
      await eventually(async () => {
        await assert.rejects(r.getService(name));
      }, settle);
    });

    it('reports create, update and delete to a watcher filtered by service', async () => {
      const r = await fresh();
      const name = unique('watched');
      const other = unique('other');
      const w = r.watch({ service: name });
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
        w.stop();
        await r.deregister(svc(other, '1.0.0', 'x'));
      }
    });

    it('expires a node whose lease ran out, and keeps one that is renewed', async () => {
      const r = await fresh();
      const name = unique('lease');
      const w = r.watch({ service: name });
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
          const [s] = await r.getService(name);
          assert.deepEqual(
            s?.nodes.map((n) => n.id),
            ['lives'],
          );
        } finally {
          clearInterval(renew);
        }
      } finally {
        w.stop();
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

    if (options.shared) {
      it('shows one client the registrations of another', async () => {
        const a = await fresh();
        const b = await fresh();
        const name = unique('shared');
        await a.register(svc(name, '1.0.0', 'a1'));
        await eventually(async () => {
          const [s] = await b.getService(name);
          assert.deepEqual(
            s?.nodes.map((n) => n.id),
            ['a1'],
          );
        }, settle);
        await a.deregister(svc(name, '1.0.0', 'a1'));
        await eventually(async () => {
          await assert.rejects(b.getService(name));
        }, settle);
      });
    }
  });
}

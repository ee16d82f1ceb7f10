import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createMdnsRegistry } from '../../src/registry/mdns/index.ts';
import type { Registry, Service, WatchEvent, Watcher } from '../../src/registry/registry.ts';
import { RegistryErrors } from '../../src/registry/registry.ts';
import { runRegistryCases } from '../conformance/registry.case.ts';
import { assertIsolated, currentNamespace, rerunInNamespace } from '../helpers/netns.ts';

if (currentNamespace()) insideNamespace();
else
  rerunInNamespace(fileURLToPath(import.meta.url), 'mdns registry, in a private network namespace');

/** Runs the mDNS cases, after checking this process really is inside the namespace. */
function insideNamespace(): void {
  assertIsolated();

  runRegistryCases('mdns', (o) => createMdnsRegistry({ timeout: 300, sweepInterval: 50, ...o }), {
    shared: true,
    settle: 1500,
  });

  describe('mdns registry between peers', () => {
    const made: Registry[] = [];
    const make = (): Registry => {
      const r = createMdnsRegistry({ timeout: 300, sweepInterval: 50 });
      made.push(r);
      return r;
    };
    after(async () => {
      for (const r of made) await r.close();
    });
    const unique = (base: string): string => `${base}-${randomUUID().slice(0, 8)}`;
    const svc = (name: string, id = 'n1', zone = 'a'): Service => ({
      name,
      version: '1.0.0',
      metadata: { team: 'core' },
      endpoints: [{ name: 'Say.Hello', metadata: {} }],
      nodes: [{ id, address: '127.0.0.1:9100', metadata: { zone } }],
    });

    it('carries long endpoint schemas and non-ASCII metadata across 255-byte TXT strings', async () => {
      const a = make();
      const b = make();
      const name = unique('big');
      const properties = Object.fromEntries(
        Array.from({ length: 60 }, (_, i) => [
          `field${i}`,
          { type: 'string', description: `field ${i}, café ☕ 𝄞` },
        ]),
      );
      const s: Service = {
        ...svc(name),
        metadata: { note: 'é'.repeat(300), 'a=b': 'c=d' },
        endpoints: [
          {
            name: 'Big.Call',
            request: { type: 'object', properties },
            response: { type: 'object', properties },
            metadata: { stream: 'server' },
          },
          { name: 'Big.Empty', metadata: {} },
        ],
        nodes: [
          { id: 'n1', address: '[::1]:9100', metadata: { zone: 'ü'.repeat(200), empty: '' } },
        ],
      };
      assert.ok(JSON.stringify(s.endpoints).length > 5000);
      await a.register(s);
      assert.deepEqual(await b.getService(name), [s]);
      await a.deregister(s);
    });

    it('shows a registration to a watching peer within milliseconds, and its removal by goodbye', async (t) => {
      const a = make();
      const b = make();
      const found: number[] = [];
      const removed: number[] = [];
      for (let i = 0; i < 10; i++) {
        const name = unique('timed');
        const w = b.watch({ service: name });
        try {
          let started = performance.now();
          await a.register(svc(name), { ttl: 60_000 });
          assert.equal((await next(w, 1000)).action, 'create');
          found.push(performance.now() - started);
          started = performance.now();
          await a.deregister(svc(name));
          assert.equal(
            (await next(w, 1000)).action,
            'delete',
            'long before the 60 s lease runs out',
          );
          removed.push(performance.now() - started);
        } finally {
          w.stop();
        }
      }
      const stats = (xs: number[]): string => {
        const s = [...xs].sort((x, y) => x - y);
        return `median ${s[s.length >> 1]?.toFixed(1)} ms, max ${s[s.length - 1]?.toFixed(1)} ms`;
      };
      t.diagnostic(`measured discovery (register in one, event in another): ${stats(found)}`);
      t.diagnostic(`measured removal (deregister in one, event in another): ${stats(removed)}`);
    });

    it('lets a late joiner find nodes published before it started', async () => {
      const a = make();
      const kept = unique('kept');
      const gone = unique('gone');
      await a.register(svc(kept));
      await a.register(svc(gone));
      await a.deregister(svc(gone));
      const c = make();
      assert.deepEqual(
        (await c.listServices()).filter((s) => s.name === kept),
        [svc(kept)],
      );
      assert.deepEqual(
        await c.getService(kept),
        [svc(kept)],
        'withdrawing one node must not hide the others',
      );
      await assert.rejects(c.getService(gone));
      await a.deregister(svc(kept));
    });

    it('sends changed metadata to peers and answers later queries with it', async () => {
      const a = make();
      const b = make();
      const name = unique('changed');
      const w = b.watch({ service: name });
      try {
        await a.register(svc(name, 'n1', 'a'));
        assert.equal((await next(w, 1000)).action, 'create');
        await a.register(svc(name, 'n1', 'b'));
        const updated = await next(w, 1000);
        assert.equal(updated.action, 'update');
        assert.equal(updated.service.nodes[0]?.metadata.zone, 'b');
        const c = make();
        assert.equal((await c.getService(name))[0]?.nodes[0]?.metadata.zone, 'b');
      } finally {
        w.stop();
        await a.deregister(svc(name));
      }
    });

    it('keeps a renewed peer node past its TTL and expires it once its publisher vanishes', async () => {
      const a = createMdnsRegistry({ timeout: 300, sweepInterval: 50 });
      const b = make();
      const name = unique('vanish');
      const w = b.watch({ service: name });
      let renew: NodeJS.Timeout | undefined;
      try {
        await a.register(svc(name), { ttl: 500 });
        renew = setInterval(() => void a.register(svc(name), { ttl: 500 }), 150);
        assert.equal((await next(w, 1000)).action, 'create');
        await new Promise((r) => setTimeout(r, 1500));
        assert.deepEqual(
          (await b.getService(name))[0]?.nodes.map((n) => n.id),
          ['n1'],
          'renewals reach the peer',
        );
        clearInterval(renew);
        await a.close();
        const closed = performance.now();
        const event = await next(w, 2000);
        assert.equal(event.action, 'delete', 'no other change before the lease runs out');
        assert.ok(
          performance.now() - closed >= 300,
          'not before its TTL (less the last renewal interval)',
        );
        await assert.rejects(b.getService(name));
      } finally {
        clearInterval(renew);
        w.stop();
        await a.close();
      }
    });

    it('says which registry was asked and what to try when nothing answers', async () => {
      const r = make();
      const name = unique('nobody');
      await assert.rejects(r.getService(name), (err: Error & { code?: string }) => {
        assert.equal(err.code, RegistryErrors.notFound);
        assert.match(
          err.message,
          new RegExp(`service ${name} not found via mDNS on 127\\.0\\.0\\.1`),
        );
        assert.match(err.message, /multicast may be blocked/);
        assert.match(err.message, /try the default registry/);
        return true;
      });
    });

    it('refuses a node too large for one mDNS packet instead of publishing it broken', async () => {
      const r = make();
      const s = svc(unique('huge'));
      s.endpoints = [
        { name: 'Huge.Call', request: { description: 'x'.repeat(70_000) }, metadata: {} },
      ];
      await assert.rejects(
        r.register(s),
        (err: Error & { code?: string }) => err.code === RegistryErrors.invalid,
      );
      await assert.rejects(r.getService(s.name));
    });
  });
}

/** The next event from a watcher, or a rejection after `ms`. */
async function next(w: Watcher, ms: number): Promise<WatchEvent> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    w[Symbol.asyncIterator]().next(),
    new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), ms))),
  ]);
  clearTimeout(timer);
  if (r === 'timeout') throw new Error(`no watch event within ${ms} ms`);
  if (r.done) throw new Error('watcher ended');
  return r.value;
}

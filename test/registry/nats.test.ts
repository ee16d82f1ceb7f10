import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createNatsRegistry } from '../../src/registry/nats/index.ts';
import type { WatchEvent, Watcher } from '../../src/registry/registry.ts';
import { RegistryErrors } from '../../src/registry/registry.ts';
import { runRegistryCases } from '../conformance/registry.case.ts';
import { serverForTests } from '../helpers/lifecycle.ts';
import { startNatsServer } from '../helpers/nats-server.ts';
import { startNode, stopAll } from '../helpers/proc.ts';

// A real nats-server (Debian's nats-server) on 127.0.0.1 with free ports.
const natsModule = fileURLToPath(new URL('../../src/registry/nats/index.ts', import.meta.url));
const address = serverForTests(startNatsServer);

runRegistryCases('nats', (o) => createNatsRegistry({ addresses: [address()], ...o }), {
  settle: 1500,
  engine: {
    where: 'NATS',
    address,
    connect: createNatsRegistry,
    advice: /start nats-server \(nats-server -a 127\.0\.0\.1 -p 1\)/,
    flag: 'nats',
  },
});

// A registering process of its own, which a test can SIGKILL: registers `name` with a lease of
// `ttl` ms and renews it every `every` ms, printing each renewal; `forever` is registered without
// a lease. Written to a temporary folder; it imports the registry from this checkout.
const childSource = (registry: string): string => `
import { createNatsRegistry } from ${JSON.stringify(registry)};
const [address, name, ttl, every, forever] = process.argv.slice(2);
const r = createNatsRegistry({ address });
const node = (id) => ({ id, address: '127.0.0.1:9000', metadata: {} });
const service = { name, version: '1.0.0', metadata: {}, endpoints: [], nodes: [node(name + '-1')] };
await r.register({ ...service, name: forever, nodes: [node(forever + '-1')] });
await r.register(service, { ttl: Number(ttl) });
console.log('registered');
let beats = 0;
setInterval(() => {
  void r.register(service, { ttl: Number(ttl) }).then(() => console.log('heartbeat ' + ++beats));
}, Number(every));
`;

describe('nats registry: nodes of a process that died', () => {
  const dir = mkdtempSync(join(tmpdir(), 'micro-nats-registry-'));
  const child = join(dir, 'registrant.ts');
  writeFileSync(child, childSource(pathToFileURL(natsModule).href));
  after(async () => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every event a watcher reports, kept, and a way to await one. */
  const record = (w: Watcher) => {
    const seen: { at: number; event: WatchEvent }[] = [];
    const waiting = new Set<() => void>();
    void (async () => {
      for await (const event of w) {
        seen.push({ at: performance.now(), event });
        for (const wake of waiting) wake();
      }
    })();
    const next = (accept: (e: WatchEvent) => boolean, ms: number) =>
      new Promise<{ at: number; event: WatchEvent }>((resolve, reject) => {
        const check = (): void => {
          const hit = seen.find((s) => accept(s.event));
          if (!hit) return;
          waiting.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiting.delete(check);
          reject(new Error(`no such watch event in ${ms} ms; saw ${JSON.stringify(seen)}`));
        }, ms);
        waiting.add(check);
        check();
      });
    return { seen, next };
  };

  it('keeps a renewed node, and reports it deleted within its TTL once its process is SIGKILLed', async (t) => {
    const r = createNatsRegistry({ address: address() });
    const name = `killed-${randomUUID().slice(0, 8)}`;
    const forever = `${name}-forever`;
    await r.listServices(); // connected, so the watch below is in place before the child starts
    const w = r.watch();
    const events = record(w);
    try {
      const proc = startNode(child, [address(), name, '1000', '250', forever]);
      await proc.waitFor(/^registered$/);
      // Eight renewals take 2 s, twice the lease: the node lives on, unchanged, with no event.
      await proc.waitFor(/^heartbeat 8$/, 10_000);
      const [found] = await r.getService(name);
      assert.deepEqual(
        found?.nodes.map((n) => n.id),
        [`${name}-1`],
      );
      const about = (s: string) => events.seen.filter((e) => e.event.service.name === s);
      assert.deepEqual(
        about(name).map((e) => e.event.action),
        ['create'],
        'heartbeats that change nothing are not reported',
      );
      const killed = performance.now();
      await proc.stop('SIGKILL');
      const deleted = await events.next(
        (e) => e.service.name === name && e.action === 'delete',
        1000 + 1500,
      );
      const latency = deleted.at - killed;
      t.diagnostic(
        `delete seen ${Math.round(latency)} ms after SIGKILL (TTL 1000 ms, renewed every 250 ms)`,
      );
      assert.ok(latency >= 1000 - 250 - 100, `not before the lease ran out (${latency} ms)`);
      assert.deepEqual(
        deleted.event.service.nodes.map((n) => n.id),
        [`${name}-1`],
      );
      await assert.rejects(r.getService(name), { code: RegistryErrors.notFound });
      assert.deepEqual(
        about(forever).map((e) => e.event.action),
        ['create'],
        'a registration without a TTL stays for the default lease (a day)',
      );
    } finally {
      w.stop();
      await r.close();
    }
  });

  it('learns the nodes already registered when a watch starts, and expires them too', async () => {
    const name = `learned-${randomUUID().slice(0, 8)}`;
    const proc = startNode(child, [address(), name, '1000', '250', `${name}-forever`]);
    await proc.waitFor(/^registered$/);
    const r = createNatsRegistry({ address: address() });
    const w = r.watch({ service: name });
    const events = record(w);
    try {
      await proc.waitFor(/^heartbeat 4$/, 10_000);
      await proc.stop('SIGKILL');
      const deleted = await events.next((e) => e.action === 'delete', 1000 + 1500);
      assert.equal(deleted.event.service.name, name);
      assert.deepEqual(
        events.seen.map((e) => e.event.action),
        ['delete'],
        'what was there before the watch is not reported as new',
      );
    } finally {
      w.stop();
      await r.close();
    }
  });
});

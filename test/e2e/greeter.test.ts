import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  createClient,
  createMdnsRegistry,
  type Client,
  type MicroError,
  type Registry,
} from '../../src/runtime/index.ts';
import { counted } from '../helpers/fixtures.ts';
import { assertIsolated, currentNamespace, rerunInNamespace } from '../helpers/netns.ts';
import { startNode, stopAll, type Child } from '../helpers/proc.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = `${root}test/e2e/fixtures/testsvc.ts`;
const env = { MICRO_REGISTRY: 'mdns' };

if (!currentNamespace())
  rerunInNamespace(
    fileURLToPath(import.meta.url),
    'greeter and friends in separate processes, found through mDNS',
  );
else {
  assertIsolated();
  describe('services in separate processes, discovered through mDNS', () => {
    let registry: Registry;
    let client: Client;
    before(() => {
      registry = createMdnsRegistry();
      client = createClient({ registry });
    });
    after(async () => {
      await stopAll();
      await client.close();
      await registry.close();
    });

    it('runs the greeter example and its client, each in its own process', async () => {
      const greeter = startNode(`${root}examples/greeter/service.ts`, [], env);
      const [, address] = await greeter.waitFor(/listening on (\S+)/);
      const caller = startNode(`${root}examples/greeter/client.ts`, ['Ann'], env);
      await caller.waitFor(/\{"msg":"Hello Ann"\}/);
      assert.equal(await caller.exited, 0, 'the client exits by itself once it has its answer');

      // The same service over plain HTTP, as curl or any language would call it.
      const [found] = await registry.getService('greeter');
      assert.equal(found?.nodes[0]?.address, address);
      const post = (endpoint: string, body: string) =>
        fetch(`http://${address}/`, {
          method: 'POST',
          headers: {
            'Micro-Service': 'greeter',
            'Micro-Endpoint': endpoint,
            'Content-Type': 'application/json',
          },
          body,
        });
      const ok = await post('Say.Hello', '{"name":"Ann"}');
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { msg: 'Hello Ann' });
      // An unknown endpoint and a malformed body: errors in the wire shape, the HTTP status as code.
      for (const [endpoint, body, code] of [
        ['Say.Nope', '{}', 404],
        ['Say.Hello', '{"name":', 400],
      ] as const) {
        const res = await post(endpoint, body);
        assert.equal(res.status, code);
        const error = (await res.json()) as Record<string, unknown>;
        assert.deepEqual(Object.keys(error).sort(), ['code', 'detail', 'id', 'status']);
        assert.equal(error.code, code);
      }
      assert.equal(
        await greeter.stop('SIGTERM'),
        0,
        `a clean exit on SIGTERM; it printed:\n${greeter.lines.join('\n')}`,
      );
    });

    describe('a service with two nodes', () => {
      let a: Child;
      let b: Child;
      before(async () => {
        a = startNode(fixture, [], env);
        b = startNode(fixture, [], env);
        await Promise.all([a.waitFor(/^ready/), b.waitFor(/^ready/)]);
      });

      it('gives a 404-shaped error for an unknown endpoint', async () => {
        await assert.rejects(
          client.call('e2e', 'Say.Goodbye', {}),
          (e: MicroError) => e.code === 404 && e.status === 'Not Found',
        );
      });

      it('answers a crash with a 500 and a detail, and keeps serving', async () => {
        await assert.rejects(
          client.call('e2e', 'Boom.Crash', {}, { retries: 0 }),
          (e: MicroError) => {
            assert.equal(e.code, 500);
            assert.equal(e.detail, "Cannot read properties of undefined (reading 'id')");
            assert.doesNotMatch(JSON.stringify(e), /testsvc\.ts|\n\s+at /);
            return true;
          },
        );
        assert.equal(
          (await client.call<{ msg: string }>('e2e', 'Say.Hello', { name: 'x' })).msg,
          'Hello x',
        );
      });

      it('fails a 200 ms call to a 1 s handler with 408 after about 200 ms; the handler sees its deadline', async () => {
        const started = Date.now();
        await assert.rejects(
          client.call('e2e', 'Slow.Sleep', { ms: 1000 }, { timeout: 200, retries: 0 }),
          (e: MicroError) => e.code === 408,
        );
        const took = Date.now() - started;
        assert.ok(took >= 190 && took < 700, `took ${took} ms`);
        const served = a.lines.some((l) => l.startsWith('deadline-in')) ? a : b;
        const [, left] = await served.waitFor(/^deadline-in (-?\d+)/);
        assert.ok(Number(left) > 100 && Number(left) <= 200, `the handler had ${left} ms left`);
        await served.waitFor(/^aborted true/, 2000);
      });

      it('streams 1,000 messages in order across processes, and echoes a bidirectional stream', async () => {
        assert.deepEqual(
          await counted(client, 'e2e', 'Stream.Count', 1000),
          Array.from({ length: 1000 }, (_, i) => i),
        );
        const echo = await client.stream('e2e', 'Stream.Echo');
        const it = echo[Symbol.asyncIterator]();
        echo.send({ hi: 1 });
        assert.deepEqual((await it.next()).value, { hi: 1 });
        echo.end();
        assert.equal((await it.next()).done, true);
      });

      it('loses no call under load when one node is SIGKILLed', async () => {
        const [, idA] = await a.waitFor(/^ready \S+ (\S+)/);
        let ok = 0;
        let afterKill = 0;
        const failures: string[] = [];
        let killedAt = Number.POSITIVE_INFINITY;
        const stopAt = Date.now() + 3000;
        const worker = async (): Promise<void> => {
          while (Date.now() < stopAt && ok < 200_000) {
            const started = Date.now();
            try {
              const r = await client.call<{ node: string }>(
                'e2e',
                'Say.Hello',
                { name: 'load' },
                { timeout: 2000 },
              );
              ok++;
              if (started > killedAt) {
                afterKill++;
                if (r.node === idA)
                  failures.push('a call started after the kill was answered by the killed node');
              }
            } catch (err) {
              failures.push(JSON.stringify(err));
            }
          }
        };
        const load = Promise.all(Array.from({ length: 50 }, worker));
        while (ok < 500 && Date.now() < stopAt) await new Promise((r) => setImmediate(r));
        await a.stop('SIGKILL');
        killedAt = Date.now();
        await load;
        assert.deepEqual(failures, [], 'no call failed');
        assert.ok(afterKill > 100, `calls kept flowing after the kill (${afterKill})`);
      });
    });

    it('delivers to one member of a queue group, and to every broadcast subscriber, across processes', async () => {
      const group = [1, 2].map(() =>
        startNode(fixture, [], {
          ...env,
          SVC_NAME: 'worker',
          SUB_TOPIC: 'jobs',
          SUB_QUEUE: 'workers',
        }),
      );
      const audit = [1, 2].map(() =>
        startNode(fixture, [], { ...env, SVC_NAME: 'audit', SUB_TOPIC: 'jobs' }),
      );
      const ready = await Promise.all([...group, ...audit].map((c) => c.waitFor(/^ready (\S+)/)));
      // Wait until all four subscriptions are visible before publishing.
      const subscribers = async () =>
        (await registry.getService('topic:jobs').catch(() => [])).reduce(
          (n, s) => n + s.nodes.length,
          0,
        );
      for (let i = 0; i < 200 && (await subscribers()) < 4; i++)
        await new Promise((r) => setTimeout(r, 25));
      for (let n = 0; n < 40; n++) await client.publish('jobs', { n });
      const names = [...group.map(() => 'worker'), ...audit.map(() => 'audit')];
      const received = await Promise.all(
        ready.map(([, address], i) =>
          client
            .call<{ received: number[] }>(names[i] ?? '', 'Sub.Received', {}, { address })
            .then((r) => r.received),
        ),
      );
      const [g1 = [], g2 = [], b1 = [], b2 = []] = received;
      assert.deepEqual(
        [...g1, ...g2].sort((x, y) => x - y),
        Array.from({ length: 40 }, (_, i) => i),
        'the queue group got each message once',
      );
      assert.ok(
        g1.length > 0 && g2.length > 0,
        `both workers got work (${g1.length}/${g2.length})`,
      );
      assert.equal(b1.length, 40);
      assert.equal(b2.length, 40);
    });
  });
}

// Issue 19 point 4 with a real control plane: two nodes of one service, one whose critical check
// fails. The monitor finds it unhealthy, the registry serves it marked, callers' selectors skip
// it, and each change is a `micro.health` event; fixed, it gets calls again.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMicroEvents } from '../../src/platform/events/client.ts';
import type { EventSubscription } from '../../src/platform/events/events.ts';
import { createMicroMonitor } from '../../src/platform/monitor/client.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient, type MicroError, type Service } from '../../src/runtime/index.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { closeAll, quietService } from '../helpers/fixtures.ts';
import { serverForTests } from '../helpers/lifecycle.ts';

const address = serverForTests(() =>
  startTestControlPlane('micro-monitor-', { env: { MICRO_MONITOR_INTERVAL: '200' } }),
);

/** The events of a subscription as they come, and a wait for one about `node` going `to`. */
function collect(sub: EventSubscription) {
  const seen: Record<string, unknown>[] = [];
  let wake: () => void = () => undefined;
  void (async () => {
    for await (const d of sub) {
      seen.push(d.data as Record<string, unknown>);
      wake();
    }
  })();
  let from = 0;
  return async (node: string, to: string): Promise<Record<string, unknown>> => {
    for (;;) {
      const i = seen.findIndex((e, j) => j >= from && e.node === node && e.to === to);
      if (i >= 0) {
        from = i + 1;
        return seen[i]!;
      }
      await new Promise<void>((r) => (wake = r));
    }
  };
}

describe('the monitor with a real control plane', () => {
  it(
    'marks a failing node unhealthy, callers skip it, and it comes back when fixed',
    { timeout: 60_000 },
    async () => {
      const registry = createMicroRegistry({ address: address() });
      const events = createMicroEvents({ address: address() });
      const health = await events.subscribe('micro.health');
      const change = collect(health);
      const monitor = createMicroMonitor({ address: address() });
      let broken = false;
      const node = (): Service => {
        const s = quietService({ name: 'flaky', version: '1.0.0', registry });
        return s.handle('Who', { Am: () => ({ node: s.server.id }) });
      };
      const good = node();
      const bad = node().healthCheck(
        'db',
        () => {
          if (broken) throw new Error('connection refused');
          return 'connected';
        },
        { interval: 50 },
      );
      const [goodId, badId] = [good.server.id, bad.server.id];
      const client = createClient({ registry });
      const who = async () => (await client.call<{ node: string }>('flaky', 'Who.Am', {})).node;
      /** Calls until a batch of 20 all went to the one node (at most 50 batches); the last batch. */
      const settle = async (want: (nodes: string[]) => boolean): Promise<string[]> => {
        let batch: string[] = [];
        for (let i = 0; i < 50; i++) {
          batch = [];
          for (let j = 0; j < 20; j++) batch.push(await who());
          if (want(batch)) return batch;
          await new Promise((r) => setTimeout(r, 50));
        }
        return batch;
      };
      try {
        await good.start();
        await bad.start();
        // Both healthy first, as the monitor sees them.
        await change(goodId, 'healthy');
        await change(badId, 'healthy');
        assert.ok((await settle((b) => b.includes(badId))).includes(badId));

        broken = true;
        const down = await change(badId, 'unhealthy');
        assert.equal(down.from, 'healthy');
        assert.equal(down.service, 'flaky');
        assert.equal(down.version, '1.0.0');
        assert.equal(down.address, bad.server.address);
        assert.equal(down.detail, 'db: connection refused');
        assert.equal(
          down.summary,
          `flaky 1.0.0 node ${badId} healthy -> unhealthy: db: connection refused`,
        );

        // The registry serves it marked, though it keeps re-registering.
        const [version] = await registry.getService('flaky');
        const marked = version?.nodes.find((n) => n.id === badId);
        assert.equal(marked?.metadata['micro-health'], 'unhealthy');
        assert.equal(
          version?.nodes.find((n) => n.id === goodId)?.metadata['micro-health'],
          undefined,
        );
        // Calls all go to the healthy node.
        const batch = await settle((b) => b.every((n) => n === goodId));
        assert.deepEqual(new Set(batch), new Set([goodId]));

        const nodes = await monitor.status({ service: 'flaky' });
        const status = nodes.find((n) => n.node === badId);
        assert.equal(status?.status, 'unhealthy');
        assert.equal(status?.detail, 'db: connection refused');
        assert.equal(status?.checks[0]?.name, 'db');
        assert.equal(status?.checks[0]?.status, 'failing');
        assert.equal(nodes.find((n) => n.node === goodId)?.status, 'healthy');

        broken = false;
        const up = await change(badId, 'healthy');
        assert.equal(up.from, 'unhealthy');
        assert.ok((await settle((b) => b.includes(badId))).includes(badId));
        const [after] = await registry.getService('flaky');
        assert.equal(after?.nodes.find((n) => n.id === badId)?.metadata['micro-health'], undefined);

        // The history, newest first.
        const history = await monitor.history({ node: badId });
        assert.deepEqual(
          history.map((c) => [c.from, c.to]),
          [
            ['unhealthy', 'healthy'],
            ['healthy', 'unhealthy'],
            ['unknown', 'healthy'],
          ],
        );
      } finally {
        await health.stop();
        await closeAll(good, bad, client, monitor, events, registry);
      }
    },
  );

  it('answers hostile requests with a 400 naming the field', async () => {
    const registry = createMicroRegistry({ address: address() });
    const client = createClient({ registry });
    const refused = async (endpoint: string, body: unknown, field: RegExp) => {
      await assert.rejects(client.call('monitor', endpoint, body), (err: MicroError) => {
        assert.equal(err.code, 400);
        assert.match(err.detail, field);
        return true;
      });
    };
    try {
      await refused('Monitor.History', { limit: 5000 }, /limit/);
      await refused('Monitor.History', { since: -1 }, /since/);
      await refused('Monitor.History', { node: 'x'.repeat(300) }, /node/);
      await refused('Monitor.History', { bogus: 1 }, /bogus/);
      await refused('Monitor.Status', { service: 7 }, /service/);
      await refused('Monitor.Status', [], /object/);
      const { nodes } = await client.call<{ nodes: { service: string }[] }>(
        'monitor',
        'Monitor.Status',
        { service: 'registry' },
      );
      assert.ok(nodes.every((n) => n.service === 'registry'));
    } finally {
      await closeAll(client, registry);
    }
  });
});

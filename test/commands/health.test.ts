// `micro health` with the real bin/micro.ts against a real control plane whose monitor probes every
// 200 ms: one service, a degraded node and an unhealthy one; its nodes probed directly with what
// the monitor saw, every node as the monitor sees it, and the history, as text and JSON.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMicroMonitor } from '../../src/platform/monitor/client.ts';
import type { NodeStatus, StatusChange } from '../../src/platform/monitor/monitor.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { micro } from '../helpers/cli.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { closeAll, quietService } from '../helpers/fixtures.ts';
import { serverForTests } from '../helpers/lifecycle.ts';

const address = serverForTests(() =>
  startTestControlPlane('micro-health-cli-', { env: { MICRO_MONITOR_INTERVAL: '200' } }),
);

describe('micro health', () => {
  it('shows probes, the monitor view and its history', { timeout: 60_000 }, async () => {
    const registry = createMicroRegistry({ address: address() });
    const monitor = createMicroMonitor({ address: address() });
    const degraded = quietService({ name: 'inventory', version: '1.0.0', registry })
      .healthCheck('db', () => 'connected')
      .healthCheck('cache', () => Promise.reject(new Error('cache cold')), { critical: false });
    const down = quietService({ name: 'inventory', version: '1.0.0', registry }).healthCheck(
      'db',
      () => {
        throw new Error('disk full');
      },
    );
    const flag = ['--registry-address', address()];
    try {
      await degraded.start();
      await down.start();
      let nodes: NodeStatus[] = [];
      for (let i = 0; i < 200 && nodes.length < 2; i++) {
        nodes = await monitor.status({ service: 'inventory' });
        if (nodes.length < 2) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(nodes.length, 2);
      const [probed, overview, history, historyJson] = await Promise.all([
        micro(['health', 'inventory', ...flag]),
        micro(['health', ...flag]),
        micro(['health', 'inventory', '--history', ...flag]),
        micro(['health', 'inventory', '--history', '-o', 'json', ...flag]),
      ]);
      const [d, u] = [degraded.server.id, down.server.id];

      assert.equal(probed.code, 1, 'a node is unhealthy');
      assert.match(
        probed.stdout,
        /^NODE\s+ADDRESS\s+VERSION\s+STATUS\s+LATENCY\s+CHECKS\s+MONITOR/m,
      );
      assert.match(
        probed.stdout,
        new RegExp(
          `^${d}\\s+\\S+\\s+1\\.0\\.0\\s+degraded\\s+[\\d.]+ ms\\s+cache \\(non-critical\\) failing: cache cold; 1 ok\\s+healthy \\d+s ago`,
          'm',
        ),
      );
      assert.match(
        probed.stdout,
        new RegExp(
          `^${u}\\s+\\S+\\s+1\\.0\\.0\\s+unhealthy\\s+[\\d.]+ ms\\s+db failing: disk full\\s+unhealthy \\d+s ago`,
          'm',
        ),
      );
      assert.match(probed.stdout, /1 of 2 nodes healthy/);

      assert.equal(overview.code, 1, overview.stderr);
      assert.match(
        overview.stdout,
        /^SERVICE\s+VERSION\s+NODE\s+ADDRESS\s+STATUS\s+SINCE\s+CHECKS$/m,
      );
      assert.match(
        overview.stdout,
        new RegExp(
          `^inventory\\s+1\\.0\\.0\\s+${d}\\s+\\S+\\s+healthy \\(degraded\\)\\s+\\d+s ago`,
          'm',
        ),
      );
      assert.match(
        overview.stdout,
        new RegExp(
          `^inventory\\s+1\\.0\\.0\\s+${u}\\s+\\S+\\s+unhealthy\\s+\\d+s ago\\s+db failing: disk full`,
          'm',
        ),
      );
      assert.match(
        overview.stdout,
        /^registry\s+latest\s+\S+\s+\S+\s+healthy\s/m,
        'the control plane too',
      );
      assert.match(overview.stdout, /nodes healthy \(as the control plane's monitor saw them\)/);

      assert.equal(history.code, 0, history.stderr);
      assert.match(history.stdout, /^TIME\s+SERVICE\s+VERSION\s+NODE\s+CHANGE\s+DETAIL$/m);
      assert.match(
        history.stdout,
        new RegExp(`inventory\\s+1\\.0\\.0\\s+${u}\\s+unknown -> unhealthy\\s+db: disk full`),
      );
      const changes = JSON.parse(historyJson.stdout) as StatusChange[];
      assert.deepEqual(
        changes.filter((c) => c.node === u).map((c) => [c.from, c.to, c.detail]),
        [['unknown', 'unhealthy', 'db: disk full']],
      );
      assert.ok(changes.every((c) => c.service === 'inventory'));
    } finally {
      await closeAll(degraded, down, monitor, registry);
    }
  });
});

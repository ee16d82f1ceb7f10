// The monitor contract against a real control plane: its `monitor` service probing real nodes
// whose critical check `db` is switched on and off.
import { createMicroMonitor } from '../../../src/platform/monitor/client.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import type { Service } from '../../../src/runtime/index.ts';
import { runMonitorCases } from '../../conformance/monitor.case.ts';
import { startTestControlPlane } from '../../helpers/control-plane.ts';
import { closeAll, quietService } from '../../helpers/fixtures.ts';

const KEEP = 4;

runMonitorCases('micro (a real control plane)', async () => {
  const cp = await startTestControlPlane('micro-monitor-contract-', {
    env: { MICRO_MONITOR_INTERVAL: '100', MICRO_MONITOR_KEEP: String(KEEP) },
  });
  const registry = createMicroRegistry({ address: cp.address });
  const monitor = createMicroMonitor({ address: cp.address });
  const nodes = new Map<string, { service: Service; failing: boolean }>();
  return {
    monitor,
    keep: KEEP,
    async set(name, index, to) {
      const key = `${name}/${index}`;
      let node = nodes.get(key);
      if (node) node.failing = to === 'unhealthy';
      else {
        const made = {
          service: quietService({ name, version: '1.0.0', registry }),
          failing: to === 'unhealthy',
        };
        made.service.healthCheck(
          'db',
          () => {
            if (made.failing) throw new Error('down');
          },
          { interval: 20 },
        );
        nodes.set(key, (node = made));
        await made.service.start();
      }
      const id = node.service.server.id;
      // Until the monitor has recorded it (bounded: 400 polls).
      for (let i = 0; i < 400; i++) {
        const [last] = await monitor.history({ node: id, limit: 1 });
        if (last?.to === to) return id;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`${key} did not become ${to}`);
    },
    async close() {
      await closeAll(...[...nodes.values()].map((n) => n.service), monitor, registry, cp);
    },
  };
});

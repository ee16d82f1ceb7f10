// The contract against the control plane's `metrics` service, scraping every 100 ms.
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { createMicroMetrics } from '../../../src/platform/metrics/client.ts';
import { startTestControlPlane } from '../../helpers/control-plane.ts';
import { runMetricsCases } from '../../conformance/metrics.case.ts';

runMetricsCases('micro (control plane)', async () => {
  const cp = await startTestControlPlane('micro-metrics-', {
    env: { MICRO_METRICS_INTERVAL: '100' },
  });
  const registry = createMicroRegistry({ address: cp.address });
  const metrics = createMicroMetrics({ address: cp.address });
  return {
    registry,
    metrics,
    // The second answer of each is in a round that started after the first's round finished.
    round: async (nodes) => void (await Promise.all(nodes.map((n) => n.scraped(2)))),
    async stop() {
      await metrics.close();
      await registry.close();
      await cp.stop();
    },
  };
});

import { createMemoryRegistry } from '../../../src/registry/memory.ts';
import { createClient } from '../../../src/runtime/client/rpc-client.ts';
import { createMemoryMetrics } from '../../../src/platform/metrics/memory.ts';
import { runMetricsCases } from '../../conformance/metrics.case.ts';

runMetricsCases('memory', async () => {
  const registry = createMemoryRegistry();
  const client = createClient({ registry });
  const metrics = createMemoryMetrics({ registry, client, timer: false });
  return {
    registry,
    metrics,
    round: () => metrics.scrape(),
    async stop() {
      await metrics.close();
      await client.close();
      await registry.close();
    },
  };
});

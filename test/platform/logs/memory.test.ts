import { createMemoryLogs } from '../../../src/platform/logs/memory.ts';
import { runLogsCases } from '../../conformance/logs.case.ts';

runLogsCases('memory', async () => {
  const logs = createMemoryLogs({ keep: 50 });
  return { logs, keep: 50, stop: () => logs.close() };
});

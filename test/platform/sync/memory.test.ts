import { createMemorySync, memoryTable } from '../../../src/platform/sync/memory.ts';
import { runSyncCases } from '../../conformance/sync.case.ts';

runSyncCases('memory', async () => {
  const ops = memoryTable();
  return { ops, open: (id) => createMemorySync({ table: ops, id }), stop: async () => {} };
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteLogs } from '../../../src/platform/logs/sqlite.ts';
import { runLogsCases } from '../../conformance/logs.case.ts';

runLogsCases('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'micro-logs-'));
  const logs = createSqliteLogs({ path: join(dir, 'micro.db'), keep: 50 });
  return {
    logs,
    keep: 50,
    async stop() {
      await logs.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

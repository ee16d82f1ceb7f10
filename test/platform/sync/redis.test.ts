import { randomUUID } from 'node:crypto';
import { createRedisSync, redisOps } from '../../../src/platform/sync/redis.ts';
import { runSyncCases } from '../../conformance/sync.case.ts';
import { startRedisServer } from '../../helpers/redis-server.ts';

runSyncCases('redis (a real redis-server)', async () => {
  const redis = await startRedisServer();
  const options = { address: redis.address, prefix: `micro-test:${randomUUID()}` };
  return {
    ops: redisOps(options),
    open: (id) => createRedisSync({ ...options, id }),
    stop: () => redis.stop(),
  };
});

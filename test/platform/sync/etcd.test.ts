import { randomUUID } from 'node:crypto';
import { createEtcdSync, etcdOps } from '../../../src/platform/sync/etcd.ts';
import { runSyncCases } from '../../conformance/sync.case.ts';
import { startEtcd } from '../../helpers/etcd-server.ts';

runSyncCases('etcd (a real etcd)', async () => {
  const etcd = await startEtcd();
  const options = { address: etcd.address, prefix: `/micro-test/${randomUUID()}` };
  return {
    ops: etcdOps(options),
    open: (id) => createEtcdSync({ ...options, id }),
    stop: () => etcd.stop(),
  };
});

import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { createMicroSync, microOps } from '../../../src/platform/sync/client.ts';
import { createClient } from '../../../src/runtime/client/rpc-client.ts';
import { runSyncCases } from '../../conformance/sync.case.ts';
import { startTestControlPlane } from '../../helpers/control-plane.ts';

runSyncCases('micro (a real control plane)', async () => {
  const cp = await startTestControlPlane('micro-sync-');
  const clients = [createClient({ registry: createMicroRegistry({ address: cp.address }) })];
  const client = () => {
    const c = createClient({ registry: createMicroRegistry({ address: cp.address }) });
    clients.push(c);
    return c;
  };
  return {
    ops: microOps({ client: clients[0] }),
    open: (id) => createMicroSync({ client: client(), id }),
    async stop() {
      await Promise.all(clients.map((c) => c.close()));
      await cp.stop();
    },
  };
});

import { createEtcdConfig } from '../../../src/platform/config/etcd.ts';
import { createRoutes } from '../../../src/platform/routing/index.ts';
import { runRoutingCases } from '../../conformance/routing.case.ts';
import { startEtcd } from '../../helpers/etcd-server.ts';
import { serverForTests } from '../../helpers/lifecycle.ts';

// A real etcd (Debian's etcd-server) on 127.0.0.1, free ports and a throwaway data directory.
const address = serverForTests(startEtcd);

runRoutingCases('etcd config', (namespace) =>
  createRoutes({ config: createEtcdConfig({ address: address() }), namespace, owned: true }),
);

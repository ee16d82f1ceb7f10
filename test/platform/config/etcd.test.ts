import { createEtcdConfig } from '../../../src/platform/config/etcd.ts';
import { runConfigCases } from '../../conformance/config.case.ts';
import { startEtcd } from '../../helpers/etcd-server.ts';
import { serverForTests } from '../../helpers/lifecycle.ts';

// A real etcd (Debian's etcd-server) on 127.0.0.1, free ports and a throwaway data directory.
const address = serverForTests(startEtcd);

runConfigCases('etcd', () => createEtcdConfig({ address: address() }), { shared: true });

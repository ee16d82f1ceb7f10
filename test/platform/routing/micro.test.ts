import { createMicroConfig } from '../../../src/platform/config/client.ts';
import { createRoutes } from '../../../src/platform/routing/index.ts';
import { runRoutingCases } from '../../conformance/routing.case.ts';
import { startTestControlPlane } from '../../helpers/control-plane.ts';
import { serverForTests } from '../../helpers/lifecycle.ts';

// A real control plane: the rules in its config service (SQLite), called over RPC.
const address = serverForTests(() => startTestControlPlane('micro-routes-'));

runRoutingCases('the control plane config', (namespace) =>
  createRoutes({ config: createMicroConfig({ address: address() }), namespace, owned: true }),
);

import { createMicroConfig } from '../../../src/platform/config/client.ts';
import { runConfigCases } from '../../conformance/config.case.ts';
import { startTestControlPlane } from '../../helpers/control-plane.ts';
import { serverForTests } from '../../helpers/lifecycle.ts';

// A real control plane: the config service over SQLite in its micro.db, called over RPC.
const address = serverForTests(() => startTestControlPlane('micro-config-'));

runConfigCases('micro', () => createMicroConfig({ address: address() }), { shared: true });

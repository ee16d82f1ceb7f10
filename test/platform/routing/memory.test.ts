import { createMemoryConfig } from '../../../src/platform/config/memory.ts';
import { createRoutes } from '../../../src/platform/routing/index.ts';
import { runRoutingCases } from '../../conformance/routing.case.ts';

// One memory config shared by every Routes the suite makes (two clients of one store).
const config = createMemoryConfig();
runRoutingCases('memory config', (namespace) => createRoutes({ config, namespace }));

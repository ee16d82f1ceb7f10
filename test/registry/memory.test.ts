import { createMemoryRegistry } from '../../src/registry/memory.ts';
import { runRegistryCases } from '../conformance/registry.case.ts';

runRegistryCases('memory', () => createMemoryRegistry({ sweepInterval: 50 }), { settle: 500 });

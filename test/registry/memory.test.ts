import { createMemoryRegistry } from '../../src/registry/memory.ts';
import { runRegistryCases } from '../conformance/registry.case.ts';

runRegistryCases('memory', (o) => createMemoryRegistry({ sweepInterval: 50, ...o }), {
  settle: 500,
});

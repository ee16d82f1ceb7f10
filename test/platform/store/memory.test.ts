import { createMemoryStore } from '../../../src/platform/store/memory.ts';
import { runStoreCases } from '../../conformance/store.case.ts';

runStoreCases('memory', () => createMemoryStore());

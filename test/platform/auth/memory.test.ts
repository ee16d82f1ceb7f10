import { createMemoryAuth } from '../../../src/platform/auth/memory.ts';
import { runAuthCases } from '../../conformance/auth.case.ts';

runAuthCases('memory', () => createMemoryAuth());

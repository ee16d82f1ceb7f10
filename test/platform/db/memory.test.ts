import { createMemoryDb } from '../../../src/platform/db/memory.ts';
import { runDbCases } from '../../conformance/db.case.ts';

runDbCases('memory', () => createMemoryDb());

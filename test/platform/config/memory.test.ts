import { createMemoryConfig } from '../../../src/platform/config/memory.ts';
import { runConfigCases } from '../../conformance/config.case.ts';

runConfigCases('memory', () => createMemoryConfig());

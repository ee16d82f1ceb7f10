import { createMemoryTrace } from '../../../src/platform/trace/memory.ts';
import { runTraceCases } from '../../conformance/trace.case.ts';

runTraceCases('memory', (bounds) => createMemoryTrace(bounds));

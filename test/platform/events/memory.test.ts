import { createMemoryEvents } from '../../../src/platform/events/memory.ts';
import { runEventsCases } from '../../conformance/events.case.ts';

runEventsCases('memory', () => createMemoryEvents());

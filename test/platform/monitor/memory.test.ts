import { createMemoryMonitor } from '../../../src/platform/monitor/memory.ts';
import { runMonitorCases } from '../../conformance/monitor.case.ts';
import { fedFixture } from './fixtures.ts';

runMonitorCases('memory', async () => fedFixture(createMemoryMonitor({ keep: 5 }), 5));

import { createMemoryBroker } from '../../../src/runtime/broker/memory.ts';
import { runBrokerCases } from '../../conformance/broker.case.ts';

runBrokerCases('memory', () => {
  const b = createMemoryBroker();
  return [b, b, b];
});

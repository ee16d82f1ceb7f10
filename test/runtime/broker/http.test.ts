import { createHttpBroker } from '../../../src/runtime/broker/http.ts';
import { createMemoryRegistry } from '../../../src/registry/memory.ts';
import { runBrokerCases } from '../../conformance/broker.case.ts';

// Three brokers, each with its own HTTP listener on 127.0.0.1, finding one another through one registry.
runBrokerCases('http', () => {
  const registry = createMemoryRegistry();
  return [
    createHttpBroker({ registry }),
    createHttpBroker({ registry }),
    createHttpBroker({ registry }),
  ];
});

import { createHttpTransport } from '../../../src/runtime/transport/index.ts';
import { runTransportCases } from '../../conformance/transport.case.ts';

runTransportCases('http', () => createHttpTransport());

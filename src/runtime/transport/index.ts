/** Transports: how calls and streams move between processes, and the table `--transport` picks from. */
import { createHttpTransport } from './http.ts';
import { createMemoryTransport } from './memory.ts';
import { createNatsTransport } from './nats/index.ts';
import { createTcpTransport } from './tcp/index.ts';

export type * from './transport.ts';
export { Headers, TransportError, TransportErrors } from './transport.ts';
export type { NatsTransportOptions } from './nats/index.ts';
export { createHttpTransport, createMemoryTransport, createNatsTransport, createTcpTransport };

/** The transports by name: `--transport` and MICRO_TRANSPORT pick from it. */
export const transports = {
  tcp: createTcpTransport,
  http: createHttpTransport,
  memory: createMemoryTransport,
  nats: createNatsTransport,
} satisfies Record<string, import('./transport.ts').TransportFactory>;

import { createHttpTransport } from './http.ts';
import { createMemoryTransport } from './memory.ts';
import { createTcpTransport } from './tcp/index.ts';

export type * from './transport.ts';
export { Headers, TransportErrors } from './transport.ts';
export { createHttpTransport, createMemoryTransport, createTcpTransport };

/** The transports by name: `--transport` and MICRO_TRANSPORT pick from it. */
export const transports = {
  tcp: createTcpTransport,
  http: createHttpTransport,
  memory: createMemoryTransport,
} as const;

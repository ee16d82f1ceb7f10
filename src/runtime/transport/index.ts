/** Transports: how calls and streams move between processes, and the table `--transport` picks from. */
import { createHttpTransport } from './http.ts';
import { createMemoryTransport } from './memory.ts';
import { createNatsTransport } from './nats/index.ts';
import { createTcpTransport } from './tcp/index.ts';

export type * from './transport.ts';
export { Headers, TransportError, TransportErrors } from './transport.ts';
export type { HttpTransportOptions } from './http.ts';
export type { MemoryTransportOptions } from './memory.ts';
export type { NatsTransportOptions } from './nats/index.ts';
export { createHttpTransport, createMemoryTransport, createNatsTransport, createTcpTransport };

/** The transports by name: `--transport` and MICRO_TRANSPORT pick from it. */
export const transports = {
  /** The framed protocol over TCP, with HTTP and WebSocket on the same port: the default. */
  tcp: createTcpTransport,
  /** HTTP POST calls and WebSocket streams. */
  http: createHttpTransport,
  /** Within one process, no sockets: for tests. */
  memory: createMemoryTransport,
  /** The framed protocol over a NATS server (127.0.0.1:4222 by default): no open port. */
  nats: createNatsTransport,
} satisfies Record<string, import('./transport.ts').TransportFactory>;

/** Transports for nodes on another transport than a client's, by the name in their metadata. */
export const nodeTransports: Readonly<
  Record<string, (() => import('./transport.ts').Transport) | undefined>
> = {
  tcp: () => createTcpTransport(),
  http: () => createHttpTransport(),
  nats: () => createNatsTransport({ address: process.env.MICRO_TRANSPORT_ADDRESS }),
};

/** The tcp transport: framed binary RPC over TCP, with HTTP and WebSocket on the same port. */
import type { SecureContext } from 'node:tls';
import type { Transport, TransportOptions } from '../transport.ts';
import { ClientConnection } from './client-connection.ts';
import { listenTcp } from './listen.ts';

/** The default transport: framed binary RPC over TCP, one multiplexed connection per peer, HTTP on the same port. */
export function createTcpTransport(options: TransportOptions = {}): Transport {
  const pool = new Map<string, ClientConnection>();
  let context: SecureContext | undefined;
  const secureContext = (): SecureContext | undefined => {
    const tls = options.tls;
    if (!tls) return undefined;
    // node:tls loads only for TLS (about 15 ms at start-up otherwise).
    return (context ??= process.getBuiltinModule('node:tls').createSecureContext({
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
    }));
  };
  const connection = (address: string): ClientConnection => {
    let c = pool.get(address);
    if (!c || !c.alive) {
      c = new ClientConnection(
        address,
        options,
        (dead) => {
          if (pool.get(address) === dead) pool.delete(address);
        },
        secureContext(),
      );
      pool.set(address, c);
    }
    return c;
  };
  return {
    name: 'tcp',
    tls: options.tls !== undefined,
    listen: listenTcp,
    call: (address, request, timeout, signal) => connection(address).call(request, timeout, signal),
    stream: async (address, open) => connection(address).stream(open),
    close: async () => {
      for (const c of pool.values()) c.close();
      pool.clear();
    },
  };
}

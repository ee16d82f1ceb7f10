/** The tcp transport: framed binary RPC over TCP, with HTTP and WebSocket on the same port. */
import type { Transport, TransportOptions } from '../transport.ts';
import { ClientConnection } from './client-connection.ts';
import { listenTcp } from './listen.ts';

/** The default transport: framed binary RPC over TCP, one multiplexed connection per peer, HTTP on the same port. */
export function createTcpTransport(options: TransportOptions = {}): Transport {
  const pool = new Map<string, ClientConnection>();
  const connection = (address: string): ClientConnection => {
    let c = pool.get(address);
    if (!c || !c.alive) {
      c = new ClientConnection(address, options, (dead) => {
        if (pool.get(address) === dead) pool.delete(address);
      });
      pool.set(address, c);
    }
    return c;
  };
  return {
    name: 'tcp',
    tls: options.tls !== undefined,
    listen: listenTcp,
    call: (address, request, timeout) => connection(address).call(request, timeout),
    stream: async (address, open) => connection(address).stream(open),
    close: async () => {
      for (const c of pool.values()) c.close();
      pool.clear();
    },
  };
}

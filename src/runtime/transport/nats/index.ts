/** The NATS transport: calls and streams between nodes that listen on subjects, not ports. */
import { serversOf } from '../../../registry/servers.ts';
import { connectionLimits } from '../limits.ts';
import {
  NO_WEB,
  type Listener,
  type Pipe,
  type Transport,
  type TransportOptions,
} from '../transport.ts';
import { NatsClient } from './client.ts';
import { serveNats } from './listen.ts';

/** Options of the NATS transport. */
export interface NatsTransportOptions extends TransportOptions {
  /** `host:port` of a NATS server, as `--transport-address` gives it; joins `addresses`. */
  address?: string;
  /** `host:port` of each NATS server of the cluster. */
  addresses?: string[];
  /** Nodes listen on `<prefix>.<unique id>`; `micro.node` by default. */
  prefix?: string;
}

/**
 * Calls and streams over NATS, so that a node needs no open port: it listens on a subject of its
 * own. The frames of the framed protocol (docs/protocol.md) travel as NATS payloads, those for one
 * node in one event-loop turn in one message; answers come back on one inbox subscription per
 * transport. One connection per transport, opened on first use, shared by its client and listeners.
 */
export function createNatsTransport(options: NatsTransportOptions = {}): Transport {
  const prefix = options.prefix ?? 'micro.node';
  // Liveness pings of open streams and long calls, every `keepalive` ms; 0 turns them off.
  const heartbeat = options.keepalive ?? 1000;
  const client = new NatsClient(
    serversOf(options, '127.0.0.1:4222'),
    options.dialTimeout ?? 5000,
    heartbeat,
  );
  const connection = client.connection;
  let listeners = 0;
  let closing = false;

  const ready = () => {
    closing = false;
    return connection.ready();
  };

  return {
    name: 'nats',
    async listen(_address, handler, listenOptions): Promise<Listener> {
      if (listenOptions?.web) throw new TypeError(NO_WEB);
      // There is no socket: the node's address is its subject, whatever host:port was asked for.
      const l = await ready();
      listeners++;
      const limits = connectionLimits(listenOptions?.limits);
      return serveNats(l, handler, prefix, heartbeat, limits, () => {
        listeners--;
        if (listeners === 0 && closing) void connection.close();
      });
    },
    call(address, request, timeout, signal) {
      if (connection.link && connection.online && !closing)
        return client.call(address, request, timeout, signal);
      return ready().then(() => client.call(address, request, timeout, signal));
    },
    async stream(address, open): Promise<Pipe> {
      await ready();
      return client.stream(address, open);
    },
    async close() {
      closing = true;
      client.closeAll();
      if (listeners === 0) await connection.close();
    },
  };
}

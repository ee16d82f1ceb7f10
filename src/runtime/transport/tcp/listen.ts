/** The tcp transport's listener: one port for the framed protocol and HTTP, told apart by the first byte. */
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { formatAddress, parseAddress } from '../address.ts';
import { PREFACE } from '../frame.ts';
import { connectionLimits } from '../limits.ts';
import type { Listener, ListenOptions, TransportHandler } from '../transport.ts';
import { createHttpSide } from './http-server.ts';
import { ServerConnection } from './server-connection.ts';

/** Listens on one port for both the framed protocol and HTTP, telling them apart by the first byte. */
export async function listenTcp(
  address: string,
  handler: TransportHandler,
  options: ListenOptions = {},
): Promise<Listener> {
  const { host, port } = parseAddress(address);
  const http = createHttpSide(handler, { ...options, host });
  const limits = connectionLimits(options.limits);
  const sockets = new Set<Socket>();
  // Framed connections, flushed before the sockets end so that last replies go out.
  const framed = new Map<Socket, ServerConnection>();
  // Connections not yet told apart, and when each was accepted: the preface timeout runs on them.
  const sniffing = new Map<Socket, number>();
  const perPeer = new Map<string, number>();

  /** Counts a raw connection against its address's cap; closes it at once past the cap. */
  const admit = (socket: Socket): void => {
    const peer = socket.remoteAddress;
    if (limits.maxConnectionsPerPeer === 0 || peer === undefined) return;
    const n = (perPeer.get(peer) ?? 0) + 1;
    if (n > limits.maxConnectionsPerPeer) {
      socket.destroy();
      return;
    }
    perPeer.set(peer, n);
    socket.once('close', () => {
      const left = (perPeer.get(peer) ?? 1) - 1;
      if (left > 0) perPeer.set(peer, left);
      else perPeer.delete(peer);
    });
  };

  const sniff = (socket: Socket): void => {
    if (socket.destroyed) return;
    sockets.add(socket);
    sniffing.set(socket, Date.now());
    socket.once('close', () => {
      sockets.delete(socket);
      sniffing.delete(socket);
      framed.delete(socket);
    });
    socket.on('error', () => socket.destroy());
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      if (head[0] !== 0x00) {
        sniffing.delete(socket);
        socket.off('data', onData);
        socket.pause();
        socket.unshift(head);
        http.emit('connection', socket);
        socket.resume();
        return;
      }
      if (head.length < PREFACE.length) return;
      sniffing.delete(socket);
      socket.off('data', onData);
      if (!head.subarray(0, PREFACE.length).equals(PREFACE)) {
        socket.destroy();
        return;
      }
      framed.set(
        socket,
        new ServerConnection(socket, handler, limits, head.subarray(PREFACE.length)),
      );
    };
    socket.on('data', onData);
  };

  const server: NetServer = options.tls
    ? // node:tls loads only for TLS (about 15 ms at start-up otherwise).
      process.getBuiltinModule('node:tls').createServer(
        // The handshake comes before the first byte: it gets the preface's time (Node's default is 120 s).
        {
          key: options.tls.key,
          cert: options.tls.cert,
          ca: options.tls.ca,
          requestCert: options.tls.mutual === true,
          rejectUnauthorized: options.tls.mutual === true,
          handshakeTimeout: limits.prefaceTimeout || 120_000,
        },
        sniff,
      )
    : createNetServer(sniff);
  // Before sniff: on a TLS server 'connection' is the raw socket, before the handshake.
  server.prependListener('connection', admit);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // One coarse timer for every connection, rather than one per frame: timeouts are checked each tick.
  const timeouts = [limits.prefaceTimeout, limits.frameTimeout, limits.idleTimeout].filter(
    (t) => t > 0,
  );
  const tick = Math.min(1000, Math.max(10, Math.min(...timeouts, 4000) / 4));
  const sweep = setInterval(() => {
    const now = Date.now();
    if (limits.prefaceTimeout > 0)
      for (const [socket, since] of sniffing)
        if (now - since >= limits.prefaceTimeout) {
          sniffing.delete(socket);
          socket.destroy();
        }
    for (const c of framed.values()) c.sweep(now);
  }, tick).unref();

  const bound = server.address();
  const actual =
    typeof bound === 'object' && bound ? formatAddress(bound.address, bound.port) : address;
  return {
    address: actual,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(sweep);
        server.close(() => resolve());
        http.closeAllConnections();
        // End gracefully so replies already written arrive; destroy whatever lingers. The end
        // waits a turn: frames are flushed in setImmediate (writer.ts), and those queued go first.
        setImmediate(() => {
          for (const s of sockets) {
            framed.get(s)?.writer.flush();
            s.end();
          }
        });
        setTimeout(() => {
          for (const s of sockets) s.destroy();
        }, 1000).unref();
      }),
  };
}

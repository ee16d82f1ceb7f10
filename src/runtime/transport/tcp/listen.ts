import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { formatAddress, parseAddress } from '../address.ts';
import { PREFACE } from '../frame.ts';
import type { Listener, ListenOptions, TransportHandler } from '../transport.ts';
import { createHttpSide } from './http-server.ts';
import { serveFramed } from './server-connection.ts';
import type { BatchWriter } from '../writer.ts';

/** Listens on one port for both the framed protocol and HTTP, telling them apart by the first byte. */
export async function listenTcp(
  address: string,
  handler: TransportHandler,
  options: ListenOptions = {},
): Promise<Listener> {
  const { host, port } = parseAddress(address);
  const http = createHttpSide(handler, { ...options, host });
  const sockets = new Set<Socket>();
  // Framed connections' writers, flushed before the sockets end so that last replies go out.
  const writers = new WeakMap<Socket, BatchWriter>();

  const sniff = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      if (head[0] !== 0x00) {
        socket.off('data', onData);
        socket.pause();
        socket.unshift(head);
        http.emit('connection', socket);
        socket.resume();
        return;
      }
      if (head.length < PREFACE.length) return;
      socket.off('data', onData);
      if (!head.subarray(0, PREFACE.length).equals(PREFACE)) {
        socket.destroy();
        return;
      }
      writers.set(socket, serveFramed(socket, handler, head.subarray(PREFACE.length)));
    };
    socket.on('data', onData);
  };

  const server: NetServer = options.tls
    ? // node:tls loads only for TLS (about 15 ms at start-up otherwise).
      process.getBuiltinModule('node:tls').createServer(options.tls, sniff)
    : createNetServer(sniff);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const actual =
    typeof bound === 'object' && bound ? formatAddress(bound.address, bound.port) : address;
  return {
    address: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        http.closeAllConnections();
        // End gracefully so replies already written arrive; destroy whatever lingers. The end
        // waits a turn: frames are flushed in setImmediate (writer.ts), and those queued go first.
        setImmediate(() => {
          for (const s of sockets) {
            writers.get(s)?.flush();
            s.end();
          }
        });
        setTimeout(() => {
          for (const s of sockets) s.destroy();
        }, 1000).unref();
      }),
  };
}

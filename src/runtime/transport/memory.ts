/** The in-process transport, for tests: calls and streams with no sockets. */
import { QueuePipe } from './pipe.ts';
import {
  NO_WEB,
  TransportError,
  TransportErrors,
  abandoned,
  type Listener,
  type Reply,
  type Transport,
  type TransportHandler,
  type TransportOptions,
} from './transport.ts';

/** Options of the in-process transport. */
export interface MemoryTransportOptions extends TransportOptions {
  /** Transports made with the same network reach one another; by default each has its own. */
  network?: Map<string, TransportHandler>;
}

/** Calls within one process, with no sockets: for unit tests. Bodies are copied as on a wire. */
export function createMemoryTransport(options: MemoryTransportOptions = {}): Transport {
  const network = options.network ?? new Map<string, TransportHandler>();
  let next = 1;
  const find = (address: string): TransportHandler => {
    const h = network.get(address);
    if (!h)
      throw new TransportError(
        TransportErrors.connect,
        503,
        `cannot connect to ${address}: nothing listens there`,
      );
    return h;
  };
  return {
    name: 'memory',
    async listen(address, handler, options): Promise<Listener> {
      if (options?.web) throw new TypeError(NO_WEB);
      const bound = address.endsWith(':0') ? `${address.slice(0, -2)}:${next++}` : address;
      // Node's code for a port in use, so that callers test one code for every transport.
      if (network.has(bound))
        throw Object.assign(new Error(`address in use: ${bound}`), { code: 'EADDRINUSE' });
      network.set(bound, handler);
      return { address: bound, close: async () => void network.delete(bound) };
    },
    async call(address, request, timeout, signal): Promise<Reply> {
      const h = find(address);
      const info = { remote: 'memory', protocol: 'memory' } as {
        remote: string;
        protocol: string;
        onCancel?: () => void;
      };
      const reply = h.call(
        { header: { ...request.header }, body: Buffer.from(request.body) },
        info,
      );
      if (!(timeout > 0 && Number.isFinite(timeout)) && !signal) return reply;
      let timer: NodeJS.Timeout | undefined;
      let abort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        if (!signal) return;
        abort = () => {
          info.onCancel?.();
          reject(abandoned(address));
        };
        if (signal.aborted) abort();
        else signal.addEventListener('abort', abort, { once: true });
      });
      const expired = new Promise<never>((_, reject) => {
        if (!(timeout > 0 && Number.isFinite(timeout))) return;
        timer = setTimeout(() => {
          info.onCancel?.();
          reject(
            new TransportError(
              TransportErrors.timeout,
              408,
              `call to ${address} timed out after ${timeout} ms`,
            ),
          );
        }, timeout);
      });
      try {
        return await Promise.race([reply, expired, aborted]);
      } finally {
        clearTimeout(timer);
        if (abort) signal?.removeEventListener('abort', abort);
      }
    },
    async stream(address, open) {
      const h = find(address);
      // Two pipes joined back to back: what one sends the other receives.
      // Each side's callbacks run later, once both consts below exist.
      const clientSide: QueuePipe = new QueuePipe({
        send: (b) => queueMicrotask(() => serverSide.deliver(Buffer.from(b))),
        end: () => queueMicrotask(() => serverSide.remoteEnd()),
        fail: (e) => queueMicrotask(() => serverSide.remoteFail(e)),
        release: () => undefined,
      });
      const serverSide: QueuePipe = new QueuePipe({
        send: (b) => queueMicrotask(() => clientSide.deliver(Buffer.from(b))),
        end: () => queueMicrotask(() => clientSide.remoteEnd()),
        fail: (e) => queueMicrotask(() => clientSide.remoteFail(e)),
        release: () => undefined,
      });
      h.stream({ header: { ...open.header }, body: Buffer.from(open.body) }, serverSide, {
        remote: 'memory',
        protocol: 'memory',
      });
      return clientSide;
    },
    async close() {},
  };
}

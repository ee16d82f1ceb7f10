/** The http transport: calls as HTTP POSTs and streams over WebSocket, to any node's port. */
import type { Pool } from 'undici';
import { timerDelay } from '../deadline.ts';
import { MicroError } from '../errors.ts';
import { listenTcp } from './tcp/listen.ts';
import {
  TransportError,
  TransportErrors,
  abandoned,
  type Header,
  type Reply,
  type Transport,
  type TransportOptions,
} from './transport.ts';
import { webSocketPipe } from './ws-pipe.ts';

const ID = 'micro.client';
/** Headers about the HTTP connection, not the call: never response metadata. */
const CONNECTION_HEADERS = new Set([
  'date',
  'connection',
  'keep-alive',
  'content-length',
  'transfer-encoding',
]);

/** Options of the HTTP transport. */
export interface HttpTransportOptions extends TransportOptions {
  /** Connections kept per peer node. */
  connections?: number;
}

/** Calls over plain HTTP POST (and streams over WebSocket): slower than tcp, but what any HTTP client speaks. */
export function createHttpTransport(options: HttpTransportOptions = {}): Transport {
  const scheme = options.tls ? 'https' : 'http';
  const pools = new Map<string, Pool>();
  // undici (about 100 ms) and ws load on the first call and the first stream, not at start-up.
  let undici: typeof import('undici') | undefined;
  const pool = (lib: typeof import('undici'), address: string): Pool => {
    let p = pools.get(address);
    if (!p) {
      p = new lib.Pool(`${scheme}://${address}`, {
        connections: options.connections ?? 100,
        connectTimeout: options.dialTimeout ?? 5000,
        connect: options.tls
          ? {
              ca: options.tls.ca,
              cert: options.tls.cert,
              key: options.tls.key,
              rejectUnauthorized: !options.tls.insecure,
            }
          : undefined,
      });
      pools.set(address, p);
    }
    return p;
  };

  return {
    name: 'http',
    tls: options.tls !== undefined,
    listen: listenTcp,
    async call(address, request, timeout, abort): Promise<Reply> {
      const ms = timeout > 0 && Number.isFinite(timeout) ? timeout : undefined;
      const expiry = ms ? AbortSignal.timeout(timerDelay(ms)) : undefined;
      const signal = abort && expiry ? AbortSignal.any([abort, expiry]) : (abort ?? expiry);
      try {
        undici ??= await import('undici');
        const res = await pool(undici, address).request({
          method: 'POST',
          path: '/',
          headers: request.header,
          body: request.body,
          signal,
        });
        const body = Buffer.from(await res.body.arrayBuffer());
        const header: Header = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (typeof v === 'string' && !CONNECTION_HEADERS.has(k)) header[k] = v;
        }
        return res.statusCode === 200 ? { header, body } : { header, body, error: true };
      } catch (err) {
        if (abort?.aborted) throw abandoned(address);
        throw mapError(err, address, ms, undici);
      }
    },
    async stream(address, open) {
      const { WebSocket } = await import('ws');
      const ws = new WebSocket(`${options.tls ? 'wss' : 'ws'}://${address}/`, {
        headers: open.header,
        ca: options.tls?.ca,
        cert: options.tls?.cert,
        key: options.tls?.key,
        rejectUnauthorized: options.tls ? !options.tls.insecure : undefined,
        handshakeTimeout: options.dialTimeout ?? 5000,
      });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', (err) =>
          reject(
            new TransportError(
              TransportErrors.connect,
              503,
              `cannot open a stream to ${address}: ${err.message}`,
            ),
          ),
        );
      });
      const pipe = webSocketPipe(
        ws,
        ID,
        () => new TransportError(TransportErrors.lost, 502, `stream to ${address} closed early`),
      );
      return pipe;
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.close()));
      pools.clear();
    },
  };
}

function mapError(
  err: unknown,
  address: string,
  ms: number | undefined,
  undici: typeof import('undici') | undefined,
): MicroError {
  if (err instanceof MicroError) return err;
  const e = err as Error & { code?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError')
    return new TransportError(
      TransportErrors.timeout,
      408,
      `call to ${address} timed out after ${ms ?? 0} ms`,
    );
  if (undici && e instanceof undici.errors.ConnectTimeoutError)
    return new TransportError(
      TransportErrors.connect,
      503,
      `cannot connect to ${address}: timed out`,
    );
  const code = e.code ?? e.cause?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') {
    return new TransportError(
      TransportErrors.connect,
      503,
      `cannot connect to ${address}: ${code}`,
    );
  }
  return new TransportError(TransportErrors.lost, 502, `call to ${address} failed: ${e.message}`);
}

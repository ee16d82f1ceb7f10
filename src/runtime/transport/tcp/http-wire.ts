/** The HTTP side's messages: a request's header as a message header, and answers in the error shape. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { MicroError, badRequest, retryAfterHeader, timeout as timeoutError } from '../../errors.ts';
import type { Header } from '../transport.ts';

// Not imported: an ES import of node:http reads its lazy WebSocket export, which loads Node's
// bundled undici (about 50 ms at start-up); getBuiltinModule does not.
const { STATUS_CODES } = process.getBuiltinModule('node:http');

const ID = 'micro.transport';
/** The largest request body, and WebSocket message, the HTTP side takes. */
export const MAX_BODY = 64 * 1024 * 1024;
/** How long a refused connection is read (and discarded) after its answer, so the answer is not lost to a reset. */
const LINGER = 1000;

/** HTTP headers that describe the connection, not the call; they never become metadata. */
const HOP = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'accept',
  'accept-encoding',
  'user-agent',
  'upgrade',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
]);

/** Turns an HTTP request's headers into a message header: lower-case names, one value each. */
export function headerFromHttp(req: IncomingMessage): Header {
  const header: Header = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (HOP.has(key) || value === undefined) continue;
    header[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  // `curl -d` labels any body as a form; micro reads it with the default codec (JSON) instead.
  if (header['content-type']?.startsWith('application/x-www-form-urlencoded'))
    delete header['content-type'];
  return header;
}

/** The HTTP status of an error: its code when that is an HTTP error status, else 500. */
export const httpStatus = (err: MicroError): number =>
  err.code >= 400 && err.code <= 599 ? err.code : 500;

/** Answers err in the error shape with its status (500 for a code that is not one) and its Retry-After; `close` ends the connection after. */
export function sendError(res: ServerResponse, err: MicroError, close = false): void {
  const body = JSON.stringify(err);
  const retryAfter = retryAfterHeader(err);
  if (retryAfter) res.setHeader('retry-after', retryAfter);
  res.writeHead(httpStatus(err), {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(body);
}

/** Answers on a socket no ServerResponse owns (refused upgrades, parser errors), then closes it. */
export function refuseSocket(
  socket: Duplex,
  err: MicroError,
  headers: Record<string, string> = {},
): void {
  if (socket.writable) {
    const body = JSON.stringify(err);
    const status = httpStatus(err);
    const lines = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
      'content-type: application/json',
      `content-length: ${Buffer.byteLength(body)}`,
      'connection: close',
      ...(retryAfterHeader(err) ? [`retry-after: ${retryAfterHeader(err)}`] : []),
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  }
  // Reading on keeps a reset (unread bytes at close) from destroying the answer before the peer reads it.
  socket.resume();
  socket.once('end', () => socket.destroy());
  setTimeout(() => socket.destroy(), LINGER).unref();
}

/** Sets a reply's header on the response, dropping values HTTP cannot carry. */
export function setHeaders(res: ServerResponse, header: Header): void {
  for (const [k, v] of Object.entries(header)) {
    try {
      res.setHeader(k, v);
    } catch {
      // A metadata value that HTTP cannot carry is dropped rather than failing the call.
    }
  }
}

/** The error a request Node's HTTP parser refused gets: 431, 408, 413, else 400. */
export function clientErrorOf(err: Error & { code?: string }, bodyStarted: boolean): MicroError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new MicroError(ID, 431, 'the request headers are too large');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new MicroError(ID, 413, 'the chunk extensions are too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return timeoutError(
        ID,
        bodyStarted
          ? 'the request body did not arrive in time'
          : 'the request headers did not arrive in time',
      );
    default:
      return badRequest(ID, `malformed HTTP request${err.code ? ` (${err.code})` : ''}`);
  }
}

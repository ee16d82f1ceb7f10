/** Answers requests Node's HTTP parser refuses (malformed, headers too large, too slow) in the error shape. */
import type { Duplex } from 'node:stream';
import { MicroError, badRequest, timeout } from '../runtime/errors.ts';
import { refuseUpgrade } from './errors.ts';

/** The error a request refused by Node's HTTP parser gets: 431 for headers too large, 408 for a timeout, else 400. */
export function clientErrorOf(err: Error & { code?: string }, id: string): MicroError {
  if (err.code === 'HPE_HEADER_OVERFLOW')
    return new MicroError(id, 431, 'the request headers are too large');
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return timeout(id, 'the request did not arrive in time');
  return badRequest(id, 'malformed HTTP request');
}

/**
 * A `clientError` listener (or fastify's `clientErrorHandler`) answering `{id, code, detail,
 * status}`, where Node answers with no body and fastify in its own shape.
 */
export function answerClientError(
  id: string,
): (err: Error & { code?: string }, socket: Duplex) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // A response already under way on this connection cannot be followed by another.
    const current = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (current?.headersSent) {
      socket.destroy();
      return;
    }
    refuseUpgrade(socket, clientErrorOf(err, id));
  };
}

import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { MicroError, toMicroError } from '../runtime/errors.ts';
import { GATEWAY_ID } from './proxy.ts';

/** The HTTP status of an error: its code when that is an HTTP error status, else 500. */
export function httpStatus(err: MicroError): number {
  return err.code >= 400 && err.code <= 599 ? err.code : 500;
}

/** Anything thrown, as the error the gateway answers with. */
export function asError(err: unknown): MicroError {
  return toMicroError(err, GATEWAY_ID);
}

/** 429: the client sent more requests than its rate allows. */
export const tooManyRequests = (detail: string): MicroError =>
  new MicroError(GATEWAY_ID, 429, detail, 'Too Many Requests');

/** 413: the request body is over the limit. */
export const payloadTooLarge = (detail: string): MicroError =>
  new MicroError(GATEWAY_ID, 413, detail, 'Payload Too Large');

/** 421: the Host names a server other than this one (a DNS-rebinding page, or a misdirected request). */
export const foreignHost = (host: string | undefined): MicroError =>
  new MicroError(
    GATEWAY_ID,
    421,
    `host ${JSON.stringify((host ?? '').slice(0, 100))} is not served here: the gateway is bound to loopback and answers only loopback names (add others with --api-allowed-hosts)`,
    'Misdirected Request',
  );

/** Answers a WebSocket upgrade request with the error as a plain HTTP response, then closes the socket. */
export function refuseUpgrade(
  socket: Duplex,
  err: MicroError,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(err);
  const status = httpStatus(err);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, retryAfterHeader, type MicroError } from '../runtime/errors.ts';
import { httpStatus, payloadTooLarge } from './errors.ts';
import { GATEWAY_ID, type GatewayRequest } from './proxy.ts';
import { LIMITS, checkPath, type RequestLimits } from './limits.ts';
import { parseForm } from './request.ts';

const NO_QUERY: Record<string, string> = Object.freeze({});

/** The parts of a request the gateway reads, from node's request; a 414 when the path or query is over a limit. */
export function gatewayRequest(
  req: IncomingMessage,
  limits: RequestLimits = LIMITS,
): GatewayRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  checkPath(path, limits);
  return {
    method: req.method ?? 'GET',
    path,
    query: q < 0 ? NO_QUERY : parseForm(url.slice(q + 1), limits.fields, 'query'),
    headers: req.headers,
    ip: req.socket.remoteAddress ?? '',
  };
}

/** The request as far as it could be read, for the log line of a request refused before gatewayRequest. */
export function unparsedRequest(req: IncomingMessage): GatewayRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return {
    method: req.method ?? 'GET',
    path: q < 0 ? url : url.slice(0, q),
    query: NO_QUERY,
    headers: req.headers,
    ip: req.socket.remoteAddress ?? '',
  };
}

/**
 * Reads a request body up to limit bytes; undefined when there is none. A larger body is a 413,
 * raised as soon as Content-Length says so or the bytes pass the limit; the connection then closes.
 */
export function readBody(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
): Promise<Buffer | undefined> {
  const declared = req.headers['content-length'];
  if (declared === undefined && req.headers['transfer-encoding'] === undefined)
    return Promise.resolve(undefined);
  const tooLarge = (): MicroError => {
    res.shouldKeepAlive = false;
    return payloadTooLarge(
      `request body is over the gateway's limit of ${limit} bytes (--api-body-limit)`,
    );
  };
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge());
      } else chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () =>
      resolve(
        size === 0 ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size),
      ),
    );
    req.once('error', reject);
    // A client that goes away mid-body ends nothing else: without this the request would hang.
    req.once('close', () => {
      if (!req.complete) reject(badRequest(GATEWAY_ID, 'the client closed the request mid-body'));
    });
  });
}

/** Sends a complete response; headers set earlier with setHeader (CORS) are kept. */
export function send(
  res: ServerResponse,
  status: number,
  body: Buffer | string,
  contentType = 'application/json',
): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, [
    'content-type',
    contentType,
    'content-length',
    String(Buffer.byteLength(body)),
    // A browser must not read a JSON answer carrying `<script>` from a service as a page.
    'x-content-type-options',
    'nosniff',
  ]);
  // A small Buffer goes out as a latin1 string (byte for byte) so node writes it with the header
  // in one write; as a Buffer it would take a writev of two.
  if (typeof body === 'string' || body.length > 16_384) res.end(body);
  else res.end(body.toString('latin1'), 'latin1');
}

/** Sends an error as its JSON, with its code as the HTTP status, and its Retry-After if it has one. */
export function sendError(res: ServerResponse, err: MicroError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const retryAfter = retryAfterHeader(err);
  if (retryAfter) res.setHeader('retry-after', retryAfter);
  send(res, httpStatus(err), JSON.stringify(err));
}

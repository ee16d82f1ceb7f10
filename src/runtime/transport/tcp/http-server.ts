/** The HTTP side of a node's port: calls POSTed, streams over WebSocket, Host and Origin checks, timeouts. */
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_TIMEOUT } from '../../deadline.ts';
import {
  MicroError,
  badRequest,
  forbidden,
  methodNotAllowed,
  replyError,
  toMicroError,
} from '../../errors.ts';
import { foreignOrigin, hostAllowed } from '../../http-guard.ts';
import type { CallInfo, ListenOptions, TransportHandler } from '../transport.ts';
import {
  MAX_BODY,
  clientErrorOf,
  headerFromHttp,
  refuseSocket,
  sendError,
  setHeaders,
} from './http-wire.ts';
import { upgradeHandler } from './websocket.ts';

// Not imported: an ES import of node:http reads its lazy WebSocket export, which loads Node's
// bundled undici (about 50 ms at start-up); getBuiltinModule does not.
const { createServer } = process.getBuiltinModule('node:http');

const ID = 'micro.transport';

/** Defaults of the HTTP side's timeouts, in ms. */
export const HTTP_TIMEOUTS = {
  headersTimeout: 10_000,
  requestTimeout: 120_000,
  keepAliveTimeout: 65_000,
} as const;

/** Options of the HTTP side of a port: the host it is bound to, and ListenOptions. */
export interface HttpSideOptions extends ListenOptions {
  /** The host the port is bound to; on loopback only loopback Host names are served. */
  host?: string;
}

/** A millisecond option: a finite number >= 0 (0 turns the timeout off), else the default. */
const ms = (value: number | undefined, fallback: number): number =>
  value !== undefined && Number.isFinite(value) && value >= 0
    ? Math.min(Math.floor(value), MAX_TIMEOUT)
    : fallback;

/** A header value safe to quote in an error detail. */
const quote = (value: string | undefined): string => JSON.stringify((value ?? '').slice(0, 100));

/** The path of a request target, without its query. */
const pathOf = (url = '/'): string => {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
};

/** The HTTP side of a node's port: POST calls, WebSocket streams. It never listens itself. */
export function createHttpSide(handler: TransportHandler, options: HttpSideOptions = {}): Server {
  const requestTimeout = ms(options.requestTimeout, HTTP_TIMEOUTS.requestTimeout);
  let headersTimeout = ms(options.headersTimeout, HTTP_TIMEOUTS.headersTimeout);
  if (requestTimeout > 0)
    headersTimeout = Math.min(headersTimeout || requestTimeout, requestTimeout);
  const keepAliveTimeout = ms(options.keepAliveTimeout, HTTP_TIMEOUTS.keepAliveTimeout);
  const checks = Math.min(headersTimeout || MAX_TIMEOUT, requestTimeout || MAX_TIMEOUT);
  const hostOk = hostAllowed(options.host ?? '127.0.0.1', options.allowedHosts);

  /** Why a request is refused before it is read: a missing or foreign Host. */
  const hostRefusal = (headers: IncomingHttpHeaders, http11: boolean): MicroError | undefined => {
    if (http11 && headers.host === undefined)
      return badRequest(ID, 'the Host header is missing (HTTP/1.1 requires it)');
    if (!hostOk(headers))
      return new MicroError(
        ID,
        421,
        `Host ${quote(headers.host)} is not served here: this port is bound to loopback and answers localhost names only`,
      );
    return undefined;
  };

  /** Why a call (or handshake) is refused before it is read: a foreign Host or Origin. */
  const refusal = (headers: IncomingHttpHeaders, http11: boolean): MicroError | undefined => {
    const host = hostRefusal(headers, http11);
    if (host) return host;
    if (foreignOrigin(headers, options.allowedOrigins))
      return forbidden(
        ID,
        `requests from web pages are refused (Origin ${quote(headers.origin)}); call from a program, or allow the origin`,
      );
    return undefined;
  };

  /** Requests whose headers are in and whose answer is not: a timeout then is the body's. */
  const reading = new WeakSet<Duplex>();

  const routes = new Map(Object.entries(options.routes ?? {}));

  const onRequest = (req: IncomingMessage, res: ServerResponse, expectsContinue = false): void => {
    const route =
      routes.size > 0 && req.headers['micro-endpoint'] === undefined
        ? routes.get(pathOf(req.url))
        : undefined;
    if (route) {
      const refused = refusal(req.headers, req.httpVersion === '1.1');
      if (refused) return sendError(res, refused, true);
      if (expectsContinue) res.writeContinue();
      return route(req, res);
    }
    if (options.web && req.headers['micro-endpoint'] === undefined) {
      const refused = hostRefusal(req.headers, req.httpVersion === '1.1');
      if (refused) return sendError(res, refused, true);
      if (expectsContinue) res.writeContinue();
      return options.web(req, res);
    }
    const refused = refusal(req.headers, req.httpVersion === '1.1');
    if (refused) return sendError(res, refused, true);
    // GET with a Micro-Endpoint header is a call with an empty body: handy for Debug.Health.
    const getCall = req.method === 'GET' && req.headers['micro-endpoint'] !== undefined;
    if (req.method !== 'POST' && !getCall) {
      sendError(
        res,
        methodNotAllowed(
          ID,
          `${req.method ?? ''} is not supported: POST a request, or open a WebSocket for a stream`,
        ),
      );
      return;
    }
    // Made only when needed: building an Error (its stack) per request cost a third of the CPU.
    const tooLarge = (): MicroError =>
      new MicroError(ID, 413, `request body over ${MAX_BODY} bytes`);
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY)
      return sendError(res, tooLarge(), true);
    if (expectsContinue) res.writeContinue();
    const socket = req.socket;
    reading.add(socket);
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > MAX_BODY) {
        over = true;
        chunks.length = 0;
        sendError(res, tooLarge(), true);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      reading.delete(socket);
      if (over) return;
      const info: CallInfo = {
        remote: `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`,
        protocol: 'http',
      };
      res.on('close', () => {
        if (!res.writableFinished) info.onCancel?.();
      });
      handler.call({ header: headerFromHttp(req), body: Buffer.concat(chunks, size) }, info).then(
        (reply) => {
          if (res.destroyed) return;
          if (reply.error) {
            sendError(res, replyError(reply, ID));
            return;
          }
          setHeaders(res, reply.header);
          res.setHeader('content-length', reply.body.length);
          res.writeHead(200);
          res.end(reply.body);
        },
        (err: unknown) => {
          if (!res.destroyed) sendError(res, toMicroError(err, ID));
        },
      );
    });
  };

  const server = createServer(
    {
      keepAliveTimeout,
      headersTimeout,
      requestTimeout,
      // How often the header and request timeouts are checked: a fraction of the shorter one.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(checks / 4))),
      // A missing Host is answered below, in the error shape (Node's own 400 has no body).
      requireHostHeader: false,
      // Only WebSocket upgrades leave HTTP; `Upgrade: h2c` and the like are served as plain calls.
      shouldUpgradeCallback: (req) => req.headers.upgrade?.toLowerCase() === 'websocket',
    },
    (req, res) => onRequest(req, res),
  );
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) =>
    onRequest(req, res, true),
  );
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) =>
    sendError(res, new MicroError(ID, 417, 'only Expect: 100-continue is supported'), true),
  );
  server.on('connect', (_req: IncomingMessage, socket: Duplex) =>
    refuseSocket(socket, methodNotAllowed(ID, 'CONNECT is not supported: this is not a proxy')),
  );
  // The parser stays in error and reports each later chunk again: a socket is answered once.
  const answered = new WeakSet<Duplex>();
  // Node's own answers to parser errors and timeouts have no body; these are in the error shape.
  server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
    if (answered.has(socket)) return;
    answered.add(socket);
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // A response already under way on this connection cannot be followed by another.
    const current = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (current?.headersSent) {
      socket.destroy();
      return;
    }
    const bodyStarted = reading.has(socket);
    reading.delete(socket);
    refuseSocket(socket, clientErrorOf(err, bodyStarted));
  });

  // Node checks header and request timeouts only on servers that listen; this one is handed its
  // connections, so the checks start here and stop when listen.ts closes them all.
  server.emit('listening');
  const closeAll = server.closeAllConnections.bind(server);
  server.closeAllConnections = () => {
    server.close();
    closeAll();
  };

  server.on('upgrade', upgradeHandler(handler, refusal));
  return server;
}

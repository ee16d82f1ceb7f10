import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { parseTimeout, MAX_TIMEOUT } from '../../deadline.ts';
import {
  MicroError,
  badGateway,
  badRequest,
  forbidden,
  methodNotAllowed,
  parseError,
  timeout as timeoutError,
  toMicroError,
} from '../../errors.ts';
import { foreignOrigin, hostAllowed } from '../../http-guard.ts';
import { QueuePipe } from '../pipe.ts';
import type { CallInfo, Header, ListenOptions, TransportHandler } from '../transport.ts';

// Not imported: an ES import of node:http reads its lazy WebSocket export, which loads Node's
// bundled undici (about 50 ms at start-up); getBuiltinModule does not.
const { createServer, STATUS_CODES } = process.getBuiltinModule('node:http');

const ID = 'micro.transport';
const MAX_BODY = 64 * 1024 * 1024;
/** How long a refused connection is read (and discarded) after its answer, so the answer is not lost to a reset. */
const LINGER = 1000;

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

const httpStatus = (err: MicroError): number =>
  err.code >= 400 && err.code <= 599 ? err.code : 500;

function sendError(res: ServerResponse, err: MicroError, close = false): void {
  const body = JSON.stringify(err);
  res.writeHead(httpStatus(err), {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(body);
}

/** Answers on a socket no ServerResponse owns (refused upgrades, parser errors), then closes it. */
function refuseSocket(socket: Duplex, err: MicroError, headers: Record<string, string> = {}): void {
  if (socket.writable) {
    const body = JSON.stringify(err);
    const status = httpStatus(err);
    const lines = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
      'content-type: application/json',
      `content-length: ${Buffer.byteLength(body)}`,
      'connection: close',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  }
  // Reading on keeps a reset (unread bytes at close) from destroying the answer before the peer reads it.
  socket.resume();
  socket.once('end', () => socket.destroy());
  setTimeout(() => socket.destroy(), LINGER).unref();
}

function setHeaders(res: ServerResponse, header: Header): void {
  for (const [k, v] of Object.entries(header)) {
    try {
      res.setHeader(k, v);
    } catch {
      // A metadata value that HTTP cannot carry is dropped rather than failing the call.
    }
  }
}

/** A millisecond option: a finite number >= 0 (0 turns the timeout off), else the default. */
const ms = (value: number | undefined, fallback: number): number =>
  value !== undefined && Number.isFinite(value) && value >= 0
    ? Math.min(Math.floor(value), MAX_TIMEOUT)
    : fallback;

/** The error a request Node's HTTP parser refused gets: 431, 408, 413, else 400. */
function clientErrorOf(err: Error & { code?: string }, bodyStarted: boolean): MicroError {
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

/** A header value safe to quote in an error detail. */
const quote = (value: string | undefined): string => JSON.stringify((value ?? '').slice(0, 100));

/** The HTTP side of a node's port: POST calls, WebSocket streams. It never listens itself. */
export function createHttpSide(handler: TransportHandler, options: HttpSideOptions = {}): Server {
  const requestTimeout = ms(options.requestTimeout, HTTP_TIMEOUTS.requestTimeout);
  let headersTimeout = ms(options.headersTimeout, HTTP_TIMEOUTS.headersTimeout);
  if (requestTimeout > 0)
    headersTimeout = Math.min(headersTimeout || requestTimeout, requestTimeout);
  const keepAliveTimeout = ms(options.keepAliveTimeout, HTTP_TIMEOUTS.keepAliveTimeout);
  const checks = Math.min(headersTimeout || MAX_TIMEOUT, requestTimeout || MAX_TIMEOUT);
  const hostOk = hostAllowed(options.host ?? '127.0.0.1', options.allowedHosts);

  /** Why a request (or handshake) is refused before it is read: a foreign Host or Origin. */
  const refusal = (headers: IncomingHttpHeaders, http11: boolean): MicroError | undefined => {
    if (http11 && headers.host === undefined)
      return badRequest(ID, 'the Host header is missing (HTTP/1.1 requires it)');
    if (!hostOk(headers))
      return new MicroError(
        ID,
        421,
        `Host ${quote(headers.host)} is not served here: this port is bound to loopback and answers localhost names only`,
      );
    if (foreignOrigin(headers, options.allowedOrigins))
      return forbidden(
        ID,
        `requests from web pages are refused (Origin ${quote(headers.origin)}); call from a program, or allow the origin`,
      );
    return undefined;
  };

  /** Requests whose headers are in and whose answer is not: a timeout then is the body's. */
  const reading = new WeakSet<Duplex>();

  const onRequest = (req: IncomingMessage, res: ServerResponse, expectsContinue = false): void => {
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
            sendError(res, parseError(Buffer.from(reply.body).toString('utf8'), ID));
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

  // ws loads on the first stream opened over WebSocket, not with every service.
  let wss: Promise<WebSocketServer> | undefined;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    let refused: MicroError | undefined;
    try {
      refused = refusal(req.headers, req.httpVersion === '1.1') ?? handshakeRefusal(req);
    } catch (err) {
      refused = toMicroError(err, ID);
    }
    if (refused) {
      refuseSocket(socket, refused, refused.code === 426 ? { 'sec-websocket-version': '13' } : {});
      return;
    }
    wss ??= import('ws').then(({ WebSocketServer }) => {
      const w = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });
      // Whatever else ws refuses (a malformed subprotocol list) is answered in the error shape too.
      w.on('wsClientError', (_err: Error, s: Duplex) =>
        refuseSocket(s, badRequest(ID, 'invalid WebSocket handshake')),
      );
      return w;
    });
    void wss.then((w) => {
      if (socket.destroyed) return;
      w.handleUpgrade(req, socket, head, (ws) => serveWebSocket(ws, req, handler));
    });
  });
  return server;
}

/** Why a WebSocket handshake cannot open a stream; throws the 400 of a malformed Micro-Timeout. */
function handshakeRefusal(req: IncomingMessage): MicroError | undefined {
  if (req.method !== 'GET')
    return methodNotAllowed(ID, `a WebSocket opens with GET, not ${req.method ?? ''}`);
  const key = req.headers['sec-websocket-key'];
  if (key === undefined || !/^[+/0-9A-Za-z]{22}==$/.test(key))
    return badRequest(ID, 'the Sec-WebSocket-Key header is missing or malformed');
  if (req.headers['sec-websocket-version'] !== '13')
    return new MicroError(ID, 426, 'Sec-WebSocket-Version must be 13');
  if (req.headers['micro-endpoint'] === undefined)
    return badRequest(ID, 'the Micro-Endpoint header is missing: name the stream to open');
  parseTimeout(req.headers['micro-timeout'], ID);
  return undefined;
}

const END = Buffer.alloc(0);

/** One stream over WebSocket: binary messages carry data, an empty one ends a side, text carries an error. */
function serveWebSocket(ws: WebSocket, req: IncomingMessage, handler: TransportHandler): void {
  const pipe = new QueuePipe({
    send: (body) => ws.send(body, { binary: true }),
    end: () => ws.send(END, { binary: true }),
    fail: (err) => ws.send(JSON.stringify(err), { binary: false }),
    release: () => ws.close(1000),
  });
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) pipe.remoteFail(parseError(data.toString('utf8'), ID));
    else if (data.length === 0) pipe.remoteEnd();
    else pipe.deliver(data);
  });
  ws.on('close', () => pipe.remoteFail(badGateway(ID, 'websocket closed before the stream ended')));
  ws.on('error', () => ws.terminate());
  const info: CallInfo = {
    remote: `${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? 0}`,
    protocol: 'ws',
  };
  handler.stream({ header: headerFromHttp(req), body: END }, pipe, info);
}

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import {
  MicroError,
  badGateway,
  methodNotAllowed,
  parseError,
  toMicroError,
} from '../../errors.ts';
import { QueuePipe } from '../pipe.ts';
import type { CallInfo, Header, TransportHandler } from '../transport.ts';

// Not imported: an ES import of node:http reads its lazy WebSocket export, which loads Node's
// bundled undici (about 50 ms at start-up); getBuiltinModule does not.
const { createServer } = process.getBuiltinModule('node:http');

const ID = 'micro.transport';
const MAX_BODY = 64 * 1024 * 1024;

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

function sendError(res: ServerResponse, err: MicroError): void {
  const body = JSON.stringify(err);
  const status = err.code >= 400 && err.code <= 599 ? err.code : 500;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
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

/** The HTTP side of a node's port: POST calls, WebSocket streams. It never listens itself. */
export function createHttpSide(handler: TransportHandler): Server {
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
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
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        sendError(res, new MicroError(ID, 413, `request body over ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      const info: CallInfo = {
        remote: `${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? 0}`,
        protocol: 'http',
      };
      res.on('close', () => {
        if (!res.writableFinished) info.onCancel?.();
      });
      handler.call({ header: headerFromHttp(req), body: Buffer.concat(chunks, size) }, info).then(
        (reply) => {
          if (reply.error) {
            sendError(res, parseError(Buffer.from(reply.body).toString('utf8'), ID));
            return;
          }
          setHeaders(res, reply.header);
          res.setHeader('content-length', reply.body.length);
          res.writeHead(200);
          res.end(reply.body);
        },
        (err: unknown) => sendError(res, toMicroError(err, ID)),
      );
    });
  });

  // ws loads on the first stream opened over WebSocket, not with every service.
  let wss: Promise<WebSocketServer> | undefined;
  server.on('upgrade', (req, socket, head) => {
    wss ??= import('ws').then(
      ({ WebSocketServer }) => new WebSocketServer({ noServer: true, maxPayload: MAX_BODY }),
    );
    void wss.then((w) => {
      if (socket.destroyed) return;
      w.handleUpgrade(req, socket, head, (ws) => serveWebSocket(ws, req, handler));
    });
  });
  return server;
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

/** Streams over WebSocket on the HTTP side of a port: the handshake's checks, and one stream per socket. */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { parseTimeout } from '../../deadline.ts';
import {
  MicroError,
  badGateway,
  badRequest,
  methodNotAllowed,
  toMicroError,
} from '../../errors.ts';
import { webSocketPipe } from '../ws-pipe.ts';
import type { CallInfo, TransportHandler } from '../transport.ts';
import { MAX_BODY, headerFromHttp, refuseSocket } from './http-wire.ts';

const ID = 'micro.transport';

/** Why a request is refused before it is read (a foreign Host or Origin), or undefined. */
export type Refusal = (headers: IncomingHttpHeaders, http11: boolean) => MicroError | undefined;

/** The server's 'upgrade' listener: refused handshakes get an HTTP error, the others a stream. */
export function upgradeHandler(
  handler: TransportHandler,
  refusal: Refusal,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  // ws loads on the first stream opened over WebSocket, not with every service.
  let wss: Promise<WebSocketServer> | undefined;
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
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
  };
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

/** Serves one stream over an accepted WebSocket. */
function serveWebSocket(ws: WebSocket, req: IncomingMessage, handler: TransportHandler): void {
  const pipe = webSocketPipe(ws, ID, () =>
    badGateway(ID, 'websocket closed before the stream ended'),
  );
  const info: CallInfo = {
    remote: `${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? 0}`,
    protocol: 'ws',
  };
  handler.stream({ header: headerFromHttp(req), body: Buffer.alloc(0) }, pipe, info);
}

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Client } from '../../runtime/client/client.ts';
import type { Broker, Subscription } from '../../runtime/broker/broker.ts';
import { MicroError, badRequest, toMicroError } from '../../runtime/errors.ts';
import { refuseUpgrade } from '../errors.ts';
import { parseBoundedJson } from '../nesting.ts';
import { SIDECAR_ID as ID } from './guard.ts';
import { refusalHeaders } from '../auth/edge.ts';

/** What auth grants one broker socket: publishing checked per frame, and the token to publish with. */
export interface SocketGrant {
  /** Undefined when the caller may publish to the topic now; else the refusal. */
  publish(): MicroError | undefined;
  /** Metadata carrying the caller's token on each publish. */
  metadata: Record<string, string>;
}

/** Limits of the broker socket. */
export interface BrokerSocketOptions {
  /** Deepest nesting of arrays and objects in a frame. */
  jsonDepth: number;
  /** With auth on: refuses (throws 401/403) a caller who may not subscribe to the topic. */
  auth?: (req: IncomingMessage, topic: string) => Promise<SocketGrant>;
}

/** A WebSocket close reason cut to the 123 bytes the protocol allows. */
const reason = (text: string): string => {
  let out = text.slice(0, 123);
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
};

/** Serves `GET /broker?topic=T[&queue=Q]` as a WebSocket: frames sent are published, messages on the topic are pushed. */
export function createBrokerSocket(client: Client, broker: Broker, o: BrokerSocketOptions) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  // A handshake ws refuses (bad key or version, not GET) gets the error shape, not ws's text/html.
  wss.on('wsClientError', (err: Error, socket: Duplex) =>
    refuseUpgrade(
      socket,
      new MicroError(ID, err.message === 'Invalid HTTP method' ? 405 : 400, err.message),
    ),
  );
  return {
    /** Takes over an upgrade request for /broker; false when the request is not one. */
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
      // Split by hand: new URL() throws on a target such as `//%20...` (read as a host name).
      const target = req.url ?? '/';
      const mark = target.indexOf('?');
      if ((mark < 0 ? target : target.slice(0, mark)) !== '/broker') return false;
      const params = new URLSearchParams(mark < 0 ? '' : target.slice(mark + 1));
      const topic = params.get('topic');
      const queue = params.get('queue') ?? undefined;
      if (!topic) {
        refuseUpgrade(socket, badRequest(ID, 'topic is required: /broker?topic=T'));
        return true;
      }
      if (!o.auth) {
        wss.handleUpgrade(req, socket, head, (ws) => void serve(ws, topic, queue));
        return true;
      }
      // Refused before the upgrade completes: the client sees a 401/403 answer, not a socket.
      o.auth(req, topic).then(
        (grant) =>
          wss.handleUpgrade(req, socket, head, (ws) => void serve(ws, topic, queue, grant)),
        (err: unknown) => refuseUpgrade(socket, toMicroError(err, ID), refusalHeaders(err)),
      );
      return true;
    },
    close(): void {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };

  async function serve(
    ws: WebSocket,
    topic: string,
    queue: string | undefined,
    grant?: SocketGrant,
  ): Promise<void> {
    let sub: Subscription | undefined;
    const fail = (err: unknown): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(toMicroError(err, ID)));
    };
    ws.on('close', () => void sub?.unsubscribe().catch(() => undefined));
    ws.on('message', (data: Buffer) => {
      try {
        const message = parseBoundedJson(data.toString('utf8'), o.jsonDepth, ID, 'a frame');
        const refused = grant?.publish();
        if (refused) return fail(refused);
        client.publish(topic, message, { metadata: grant?.metadata }).catch(fail);
      } catch (err) {
        fail(err);
      }
    });
    try {
      sub = await broker.subscribe(
        topic,
        (event) => {
          if (ws.readyState === ws.OPEN) ws.send(Buffer.from(event.message.body).toString('utf8'));
        },
        { queue },
      );
      if (ws.readyState !== ws.OPEN) await sub.unsubscribe();
      else ws.send(JSON.stringify({ subscribed: topic, ...(queue ? { queue } : {}) }));
    } catch (err) {
      if (ws.readyState === ws.OPEN) ws.close(1011, reason((err as Error).message ?? String(err)));
    }
  }
}

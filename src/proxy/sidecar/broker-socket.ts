import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Client } from '../../runtime/client/client.ts';
import type { Broker, Subscription } from '../../runtime/broker/broker.ts';

/** Serves `GET /broker?topic=T[&queue=Q]` as a WebSocket: frames sent are published, messages on the topic are pushed. */
export function createBrokerSocket(client: Client, broker: Broker) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  return {
    /** Takes over an upgrade request for /broker; false when the request is not one. */
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
      const url = new URL(req.url ?? '/', 'http://sidecar');
      if (url.pathname !== '/broker') return false;
      const topic = url.searchParams.get('topic');
      const queue = url.searchParams.get('queue') ?? undefined;
      if (!topic) {
        socket.end(
          'HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n\r\n{"id":"micro.sidecar","code":400,"detail":"topic is required: /broker?topic=T","status":"Bad Request"}',
        );
        return true;
      }
      wss.handleUpgrade(req, socket, head, (ws) => void serve(ws, topic, queue));
      return true;
    },
    close(): void {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };

  async function serve(ws: WebSocket, topic: string, queue: string | undefined): Promise<void> {
    let sub: Subscription | undefined;
    ws.on('close', () => void sub?.unsubscribe());
    ws.on('message', (data: Buffer) => {
      let message: unknown;
      try {
        message = JSON.parse(data.toString('utf8'));
      } catch {
        ws.send(
          JSON.stringify({
            id: 'micro.sidecar',
            code: 400,
            detail: 'a frame must be JSON',
            status: 'Bad Request',
          }),
        );
        return;
      }
      client.publish(topic, message).catch((err: Error) =>
        ws.send(
          JSON.stringify({
            id: 'micro.sidecar',
            code: 500,
            detail: err.message,
            status: 'Internal Server Error',
          }),
        ),
      );
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
      ws.close(1011, (err as Error).message.slice(0, 100));
    }
  }
}

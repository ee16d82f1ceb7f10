/** A stream over one WebSocket, either side: binary messages carry data, an empty one ends a side, text carries an error. */
import type { WebSocket } from 'ws';
import { parseError, type MicroError } from '../errors.ts';
import { QueuePipe } from './pipe.ts';

const END = Buffer.alloc(0);

/** The pipe of the stream on ws; `id` names this side in errors, `early` is the error for a socket closed mid-stream. */
export function webSocketPipe(ws: WebSocket, id: string, early: () => MicroError): QueuePipe {
  const pipe = new QueuePipe({
    send: (body) => ws.send(body, { binary: true }),
    end: () => ws.send(END, { binary: true }),
    fail: (err) => ws.send(JSON.stringify(err), { binary: false }),
    release: () => ws.close(1000),
  });
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) pipe.remoteFail(parseError(data.toString('utf8'), id));
    else if (data.length === 0) pipe.remoteEnd();
    else pipe.deliver(data);
  });
  ws.on('close', () => pipe.remoteFail(early()));
  ws.on('error', () => ws.terminate());
  return pipe;
}

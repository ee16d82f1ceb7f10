// GET /_/api/store/watch: the store's changes in one namespace as server-sent events, fed by the
// store service's Store.Watch stream, so the dashboard's store page updates as keys change.
//
// The stream is opened and its first message ({ready: true}) read before the answer starts: a bad
// namespace or an unreachable store is an error answer (which an EventSource does not retry), not
// a stream that ends. At most MAX_WATCHES are open at once; each ends when its page goes away,
// when the store's stream ends (the browser then reconnects), when it has more than 8 MiB unsent
// (a page that stopped reading), or when the dashboard closes.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { MicroError, type Client, type ClientStream } from '../../runtime/index.ts';
import { frame, STREAM_BACKLOG } from './events.ts';
import { queryRequest, type PlatformRoute } from './platform.ts';
import { WEB_ID } from './web.ts';

/** Store watches the dashboard keeps open at once. */
export const MAX_WATCHES = 32;

/** Open watches, so that closing the dashboard can end them. */
export interface StoreWatches {
  close(): void;
}

const route: PlatformRoute = {
  method: 'GET',
  service: 'store',
  endpoint: 'Store.Watch',
  fields: { database: 'text', table: 'text', prefix: 'text', key: 'text' },
};

/** Adds the route: `event: ready` once watching, then one `event: change` per StoreEvent. */
export function registerStoreWatch(
  app: FastifyInstance,
  o: {
    client: Client;
    fail: (reply: FastifyReply, err: unknown) => FastifyReply;
    heartbeat?: number;
  },
): StoreWatches {
  const open = new Map<ServerResponse, ClientStream>();
  app.get<{ Querystring: Record<string, unknown> }>('/_/api/store/watch', async (req, reply) => {
    let stream: ClientStream | undefined;
    try {
      const request = queryRequest('store/watch', route, req.query);
      if (open.size >= MAX_WATCHES)
        throw new MicroError(WEB_ID, 503, `${MAX_WATCHES} store watches are open already`);
      stream = await o.client.stream('store', 'Store.Watch');
      stream.send(request);
      stream.end();
      const messages = stream[Symbol.asyncIterator]();
      const first = await messages.next();
      if (first.done) throw new MicroError(WEB_ID, 502, 'the store ended its watch at once');
      const res = reply.hijack().raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 2000\n\n');
      res.write(frame('ready', {}));
      const watching = stream;
      open.set(res, watching);
      const beat = setInterval(() => res.write(': beat\n\n'), o.heartbeat ?? 15_000);
      res.on('close', () => {
        clearInterval(beat);
        open.delete(res);
        watching.close();
      });
      void (async () => {
        try {
          for (let m = await messages.next(); !m.done; m = await messages.next()) {
            res.write(frame('change', m.value));
            // A page that stopped reading is cut, as the events feed's are: no unbounded buffer.
            if (res.writableLength > STREAM_BACKLOG) return void res.destroy();
          }
        } catch (err) {
          res.write(frame('failed', err instanceof MicroError ? err.toJSON() : {}));
        }
        res.end();
      })();
    } catch (err) {
      stream?.close();
      return o.fail(reply, err);
    }
  });
  return {
    close() {
      for (const [res, stream] of open) {
        stream.close();
        res.end();
      }
      open.clear();
    },
  };
}

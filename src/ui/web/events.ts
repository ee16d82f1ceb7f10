import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Feed } from './feed.ts';

/** Open event streams, so that closing the dashboard can end them. */
export interface EventStreams {
  close(): void;
}

/**
 * Adds GET /_/api/events: server-sent events fed by the registry watch. The first message
 * (`services`) holds every service version and the recent events; each change follows as a
 * `change` message with a FeedEvent. A comment every 15 s keeps idle connections open.
 */
export function registerEvents(app: FastifyInstance, feed: Feed, heartbeat = 15_000): EventStreams {
  const open = new Set<ServerResponse>();

  app.get('/_/api/events', async (req, reply) => {
    await feed.ready;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const send = (event: string, data: unknown): void => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    open.add(res);
    res.write('retry: 1000\n\n');
    send('services', { services: feed.services(), recent: feed.recent() });
    const stop = feed.subscribe((e) => send('change', e));
    const beat = setInterval(() => res.write(': beat\n\n'), heartbeat);
    req.raw.socket.setNoDelay(true);
    res.on('close', () => {
      stop();
      clearInterval(beat);
      open.delete(res);
    });
  });

  return {
    close() {
      for (const res of open) res.end();
      open.clear();
    },
  };
}

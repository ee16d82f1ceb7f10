// GET /_/api/events/stream: the platform's events (micro.registry, micro.config, micro.sync,
// micro.runtime, micro.health) as server-sent events, so the dashboard's platform page shows what
// happens as it happens. ?topic= follows one topic instead (a platform topic, or any other durable
// topic, its events shown by their data's `action` and `summary` if they have them, else their
// data as JSON, cut); ?action= and ?text= narrow them here, before they are sent; ?backlog= (0 to
// MAX_BACKLOG, default 200) is how many of each topic's latest events are searched first.
//
// The subscriptions are live before the answer starts: an unreachable events area is an error
// answer (which an EventSource does not retry), not a stream that ends. At most MAX_EVENT_STREAMS
// are open at once; each ends when its page goes away, when a subscription ends (the browser then
// reconnects and reads the backlog again), when it has more than STREAM_BACKLOG unsent (a page that
// stopped reading), or when the dashboard closes.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Events } from '../../platform/events/events.ts';
import { checkTopic } from '../../platform/events/validate.ts';
import { MicroError, toMicroError } from '../../runtime/index.ts';
import {
  PLATFORM_TOPIC_NAMES,
  followPlatform,
  platformLine,
  platformMatches,
  type Follower,
  type PlatformFilter,
} from '../platform-events.ts';
import { optInt, optText } from './area-routes.ts';
import { frame, STREAM_BACKLOG } from './events.ts';
import { queryRequest } from './platform.ts';
import { WEB_ID } from './web.ts';

/** Platform event streams the dashboard keeps open at once. */
export const MAX_EVENT_STREAMS = 32;

/** Most events of each topic searched when a stream opens. */
export const MAX_BACKLOG = 500;

/** Open streams, so that closing the dashboard can end them. */
export interface PlatformStreams {
  /** Streams open now. */
  readonly size: number;
  close(): void;
}

const fields = { topic: 'text', action: 'text', text: 'text', backlog: 'number' } as const;

/** Adds the route: `event: ready` once following, then `event: events` with {events: PlatformLine[]}. */
export function registerEventsStream(
  app: FastifyInstance,
  o: {
    events: Events | undefined;
    fail: (reply: FastifyReply, err: unknown) => FastifyReply;
    heartbeat?: number;
    /** Bytes a stream may have unsent before it is cut (default STREAM_BACKLOG). */
    maxBacklog?: number;
  },
): PlatformStreams {
  const maxBacklog = o.maxBacklog ?? STREAM_BACKLOG;
  const open = new Map<ServerResponse, Follower>();
  // Streams subscribing now, counted against the bound too.
  let opening = 0;
  app.get<{ Querystring: Record<string, unknown> }>('/_/api/events/stream', async (req, reply) => {
    try {
      const r = queryRequest('events/stream', { fields }, req.query);
      const given = optText(r, 'topic', 255);
      const topic = given === undefined ? undefined : checkTopic(given);
      const filter: PlatformFilter = {
        topic,
        action: optText(r, 'action', 64),
        text: optText(r, 'text', 200),
      };
      const backlog = optInt(r, 'backlog', 0, MAX_BACKLOG) ?? 200;
      if (!o.events)
        throw new MicroError(WEB_ID, 501, 'this dashboard was started without the events area');
      if (open.size + opening >= MAX_EVENT_STREAMS)
        throw new MicroError(WEB_ID, 503, `${MAX_EVENT_STREAMS} event streams are open already`);
      const res = reply.raw;
      // What came before the answer started (nothing, as batches wait a turn) goes out after it.
      const queued: string[] = [];
      let live = false;
      let ended = false;
      const send = (text: string): void => {
        if (!live) return void queued.push(text);
        // A page that stopped reading is cut, as the other streams' are: no unbounded buffer.
        if (res.writableLength > maxBacklog) return void res.destroy();
        res.write(text);
      };
      opening++;
      const following = followPlatform(o.events, {
        topics: topic ? [topic] : PLATFORM_TOPIC_NAMES,
        backlog,
        onEvents: (events) => {
          const lines = events.filter((e) => platformMatches(e, filter)).map(platformLine);
          if (lines.length > 0) send(frame('events', { events: lines }));
        },
        onEnd: (err) => {
          if (err !== undefined) send(frame('failed', toMicroError(err, WEB_ID).toJSON()));
          if (live) res.end();
          else ended = true;
        },
      });
      const follower = await following.finally(() => opening--);
      reply.hijack();
      // The page may have gone while subscribing.
      if (res.destroyed || req.raw.destroyed) return void (await follower.stop());
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 2000\n\n');
      res.write(frame('ready', {}));
      live = true;
      for (const text of queued.splice(0)) send(text);
      if (ended) res.end();
      open.set(res, follower);
      const beat = setInterval(() => res.write(': beat\n\n'), o.heartbeat ?? 15_000);
      res.on('close', () => {
        clearInterval(beat);
        open.delete(res);
        void follower.stop();
      });
    } catch (err) {
      return o.fail(reply, err);
    }
  });
  return {
    get size() {
      return open.size;
    },
    close() {
      for (const [res, follower] of open) {
        void follower.stop();
        res.end();
      }
      open.clear();
    },
  };
}

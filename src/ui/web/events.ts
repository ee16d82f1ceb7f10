import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { TopicSummary } from '../../registry/topics.ts';
import type { Feed } from './feed.ts';
import { compactEvent, type RecentEvent, type ServiceSummary } from './summary.ts';

/** Open event streams, so that closing the dashboard can end them. */
export interface EventStreams {
  close(): void;
}

/** The first message of a stream (`services`). */
export interface EventSnapshot {
  /** One summary per service name, in natural order. */
  services: ServiceSummary[];
  topics: TopicSummary[];
  /** The latest registry events, oldest first. */
  recent: RecentEvent[];
}

/** A batch of changes (`changes`), at most one per tick. */
export interface EventBatch {
  /** The names that changed, as they are now. */
  services: ServiceSummary[];
  /** The names no longer registered. */
  removed: string[];
  /** Every topic, sent only when the list changed. */
  topics?: TopicSummary[];
  /** The events of the tick, oldest first (the latest `keep` of them). */
  events: RecentEvent[];
}

/** Options of the event streams. */
export interface EventsOptions {
  /** Milliseconds between comments that keep idle connections open (default 15 s). */
  heartbeat?: number;
  /** At most one message per this many milliseconds; changes in between are gathered (default 100). */
  tick?: number;
  /** At most this many events per batch (default 200). */
  keep?: number;
  /** Bytes a stream may have waiting to be sent before it is closed (default 8 MiB). */
  maxBacklog?: number;
}

/** Bytes a server-sent event stream may have waiting to be sent before it is closed: 8 MiB. */
export const STREAM_BACKLOG = 8 * 1024 * 1024;

/** One server-sent event. */
export const frame = (event: string, data: unknown): string =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * Adds GET /_/api/events: server-sent events fed by the registry watch. The first message
 * (`services`, an EventSnapshot) holds one summary per service name, the topics and the recent
 * events; then at most one `changes` message (an EventBatch) per tick, so a burst of changes to
 * one name is one summary; a change after a quiet tick goes out at once. Each batch is serialized once for every open stream. A comment every
 * 15 s keeps idle connections open.
 */
export function registerEvents(
  app: FastifyInstance,
  feed: Feed,
  options: EventsOptions = {},
): EventStreams {
  const { heartbeat = 15_000, tick = 100, keep = 200, maxBacklog = STREAM_BACKLOG } = options;
  const open = new Set<ServerResponse>();
  const changed = new Set<string>();
  let events: RecentEvent[] = [];
  let topicsChanged = false;
  let topicsSent = '';
  let timer: NodeJS.Timeout | undefined;
  let flushed = 0;

  const flush = (): void => {
    timer = undefined;
    flushed = Date.now();
    const batch: EventBatch = { services: [], removed: [], events };
    for (const name of changed) {
      const summary = feed.summary(name);
      if (summary) batch.services.push(summary);
      else batch.removed.push(name);
    }
    if (topicsChanged) {
      const topics = feed.topics();
      const signature = JSON.stringify(topics);
      if (signature !== topicsSent) {
        topicsSent = signature;
        batch.topics = topics;
      }
    }
    changed.clear();
    events = [];
    topicsChanged = false;
    if (open.size === 0) return;
    const text = frame('changes', batch);
    for (const res of open) {
      // A reader that stopped reading (a frozen tab, a stalled link) is cut off rather than have
      // every later batch held for it; its browser reconnects and starts from a fresh snapshot.
      if (res.writableLength > maxBacklog) res.destroy();
      else res.write(text);
    }
  };

  // Versions with subscriber endpoints: a change to one of them can change the topics too.
  const subscribers = new Set<string>();

  const stop = feed.subscribe((e) => {
    const key = `${e.service.name}\u0000${e.service.version}`;
    const subscribes =
      e.action !== 'delete' && e.service.endpoints.some((x) => x.metadata.subscriber === 'true');
    if (e.topic !== undefined || subscribes || subscribers.has(key)) topicsChanged = true;
    if (subscribes) subscribers.add(key);
    else subscribers.delete(key);
    if (e.topic === undefined) changed.add(e.service.name);
    events.push(compactEvent(e));
    if (events.length > keep) events.splice(0, events.length - keep);
    // A lone change goes out at once; a burst waits for the rest of the tick.
    timer ??= setTimeout(flush, Math.max(0, flushed + tick - Date.now()));
  });

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
    open.add(res);
    const snapshot: EventSnapshot = {
      services: feed.summaries(),
      topics: feed.topics(),
      recent: feed.recent().map(compactEvent),
    };
    res.write('retry: 1000\n\n');
    res.write(frame('services', snapshot));
    const beat = setInterval(() => res.write(': beat\n\n'), heartbeat);
    req.raw.socket.setNoDelay(true);
    res.on('close', () => {
      clearInterval(beat);
      open.delete(res);
    });
  });

  return {
    close() {
      stop();
      clearTimeout(timer);
      for (const res of open) res.end();
      open.clear();
    },
  };
}

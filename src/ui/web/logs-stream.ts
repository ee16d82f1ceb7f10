// GET /_/api/logs/stream: new log lines as server-sent events, for the Logs page's live tail. It
// takes the query of /_/api/logs/read (service, level, grep, trace, since; `after` the last id the
// page read, so nothing stored in between is lost or shown twice) and follows it with Log.Watch.
//
// The query is checked and the logs reached (one line read) before the answer starts: a bad field
// or unreachable logs are an error answer (which an EventSource does not retry), not a stream that
// ends. Lines go out in batches (`event: records`, {records}), at most one per BATCH_MS. At most
// MAX_LOG_STREAMS are open at once (a page holds one, closed when it leaves or its filters
// change); each ends when its page goes away, when it has more than STREAM_BACKLOG unsent (a page
// that stopped reading), or when the dashboard closes.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { LogRecord, Logs } from '../../platform/logs/logs.ts';
import { MicroError, toMicroError } from '../../runtime/index.ts';
import { frame, STREAM_BACKLOG } from './events.ts';
import { LOG_QUERY_FIELDS, logQueryOf } from './logs-area.ts';
import { queryRequest } from './platform.ts';
import { WEB_ID } from './web.ts';

/** Log streams the dashboard keeps open at once. */
export const MAX_LOG_STREAMS = 32;

/** Milliseconds lines are gathered before a batch goes out. */
export const BATCH_MS = 50;

/** Open log streams, so that closing the dashboard can end them. */
export interface LogStreams {
  /** Streams open now. */
  readonly size: number;
  close(): void;
}

/** Adds the route: `event: ready` once following, then `event: records` with {records: LogRecord[]}. */
export function registerLogsStream(
  app: FastifyInstance,
  o: {
    logs: Logs | undefined;
    fail: (reply: FastifyReply, err: unknown) => FastifyReply;
    heartbeat?: number;
  },
): LogStreams {
  const open = new Map<ServerResponse, AbortController>();
  let opening = 0;
  app.get<{ Querystring: Record<string, unknown> }>('/_/api/logs/stream', async (req, reply) => {
    try {
      const { limit: _limit, ...query } = logQueryOf(
        queryRequest('logs/stream', { fields: LOG_QUERY_FIELDS }, req.query),
      );
      if (!o.logs)
        throw new MicroError(WEB_ID, 501, 'this dashboard was started without the logs area');
      if (open.size + opening >= MAX_LOG_STREAMS)
        throw new MicroError(WEB_ID, 503, `${MAX_LOG_STREAMS} log streams are open already`);
      opening++;
      // Reached and the query taken, or an error answer now.
      await o.logs.read({ ...query, limit: 1 }).finally(() => opening--);
      const res = reply.hijack().raw;
      if (res.destroyed || req.raw.destroyed) return;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 2000\n\n');
      res.write(frame('ready', {}));
      const stop = new AbortController();
      open.set(res, stop);
      const beat = setInterval(() => res.write(': beat\n\n'), o.heartbeat ?? 15_000);
      res.on('close', () => {
        clearInterval(beat);
        open.delete(res);
        stop.abort();
      });
      let batch: LogRecord[] = [];
      let timer: NodeJS.Timeout | undefined;
      const flush = (): void => {
        timer = undefined;
        if (batch.length === 0 || res.destroyed) return;
        res.write(frame('records', { records: batch }));
        batch = [];
        // A page that stopped reading is cut, as the other streams' are: no unbounded buffer.
        if (res.writableLength > STREAM_BACKLOG) res.destroy();
      };
      const logs = o.logs;
      void (async () => {
        try {
          for await (const r of logs.watch(query, stop.signal)) {
            batch.push(r);
            timer ??= setTimeout(flush, BATCH_MS);
          }
        } catch (err) {
          if (!stop.signal.aborted) res.write(frame('failed', toMicroError(err, WEB_ID).toJSON()));
        }
        clearTimeout(timer);
        flush();
        res.end();
      })();
    } catch (err) {
      return o.fail(reply, err);
    }
  });
  return {
    get size() {
      return open.size;
    },
    close() {
      for (const [res, stop] of open) {
        stop.abort();
        res.end();
      }
      open.clear();
    },
  };
}

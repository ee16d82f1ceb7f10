// A stand-in `logs` service for the reading side's tests (Log.Write, Log.Read, Log.Watch,
// Log.Sources as CONTRACT.md says), in memory, until the control plane hosts the real one.
import { EventEmitter, on } from 'node:events';
import { LOG_LEVELS, type LogQuery, type LogRecord } from '../../src/platform/logs/logs.ts';
import {
  endpoint,
  serverStream,
  type Context,
  type Registry,
  type Service,
} from '../../src/runtime/index.ts';
import { quietService } from './fixtures.ts';

const rank = (level: string): number => LOG_LEVELS.indexOf(level as never);

/** Whether a record matches a query's filters (limit aside). */
function matches(r: LogRecord, q: LogQuery): boolean {
  const text = q.grep?.toLowerCase();
  return (
    (q.service === undefined || r.service === q.service) &&
    (q.level === undefined || rank(r.level) >= rank(q.level)) &&
    (q.trace === undefined || r.traceId === q.trace) &&
    (q.since === undefined || r.time >= q.since) &&
    (q.until === undefined || r.time < q.until) &&
    (q.after === undefined || (r.id ?? 0) > q.after) &&
    (text === undefined ||
      `${r.msg} ${JSON.stringify(r.fields ?? {})}`.toLowerCase().includes(text))
  );
}

/** Starts a `logs` service on 127.0.0.1 registered in the registry given. */
export async function startFakeLogs(registry: Registry): Promise<Service> {
  const kept: LogRecord[] = [];
  const stored = new EventEmitter();
  stored.setMaxListeners(0);
  const s = quietService({ name: 'logs', version: '0.0.0', registry, address: '127.0.0.1:0' });
  s.handle('Log', {
    Write: endpoint({}, async (req: { records: LogRecord[] }) => {
      for (const r of req.records) {
        const record = { ...r, id: kept.length + 1 };
        kept.push(record);
        stored.emit('record', record);
      }
      return {};
    }),
    Read: endpoint({}, async (q: LogQuery) => ({
      records: kept.filter((r) => matches(r, q)).slice(-(q.limit ?? 100)),
    })),
    Watch: serverStream(async function* (q: LogQuery, ctx: Context) {
      const live = on(stored, 'record', { signal: ctx.signal });
      const backlog = q.after === undefined ? [] : kept.filter((r) => matches(r, q));
      const seen = backlog.at(-1)?.id ?? q.after ?? kept.length;
      yield* backlog;
      try {
        for await (const [r] of live as AsyncIterable<[LogRecord]>)
          if ((r.id ?? 0) > seen && matches(r, q)) yield r;
      } catch (err) {
        if ((err as Error).name !== 'AbortError') throw err;
      }
    }),
    Sources: endpoint({}, async () => {
      const by = new Map<string, { service: string; lines: number; last: number }>();
      for (const r of kept) {
        const s = by.get(r.service) ?? { service: r.service, lines: 0, last: 0 };
        s.lines++;
        s.last = Math.max(s.last, r.time);
        by.set(r.service, s);
      }
      return { sources: [...by.values()] };
    }),
  });
  await s.start();
  return s;
}

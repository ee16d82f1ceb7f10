// The SQLite Trace: what the control plane serves as the `trace` service (tables `trace_*` in
// micro.db; WAL, synchronous=NORMAL, one connection, better-sqlite3's synchronous calls). A write
// is one transaction: its spans inserted (a span already kept is replaced), then the summary of each
// trace it touched made again from that trace's rows (trace_traces: root, start, duration, counts,
// services) with one row per service and endpoint in trace_tags, so a list reads summaries through
// an index (by start, by service or endpoint then start, or errors only) and never scans spans.
// Bounds: at most `keep` spans and none started more than `maxAge` ago, the oldest (by start)
// deleted first, checked on each write and read. The map reads the client and producer spans of its
// window through a partial index. Spans are tracing data: a crash may lose the last batches written.
import type Database from 'better-sqlite3';
import { openDatabase } from '../../registry/sqlite.ts';
import { notFound } from '../../runtime/errors.ts';
import { buildMap, peerOf, summarize, type MapCall, type SummedSpan } from './summary.ts';
import type { SpanRecord, Trace, TraceQuery, TraceSummary } from './trace.ts';
import {
  checkQuery,
  checkSpans,
  checkTraceId,
  checkWindow,
  TRACE_BOUNDS,
  TRACE_ID,
  type TraceBounds,
} from './validate.ts';

/** Options of the SQLite Trace. */
export interface SqliteTraceOptions extends TraceBounds {
  /** The database file (micro.db in the control plane's data folder); created if missing. */
  path: string;
  /** better-sqlite3's native addon, already loaded: how the single executable passes it in. */
  nativeBinding?: unknown;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS trace_spans (
  trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_id TEXT, name TEXT NOT NULL,
  kind TEXT NOT NULL, service TEXT NOT NULL, endpoint TEXT, start REAL NOT NULL,
  duration REAL NOT NULL, status TEXT NOT NULL, code INTEGER, message TEXT,
  attributes TEXT NOT NULL, events TEXT, peer TEXT, PRIMARY KEY (trace_id, span_id));
CREATE INDEX IF NOT EXISTS trace_spans_start ON trace_spans (start);
CREATE INDEX IF NOT EXISTS trace_spans_calls ON trace_spans (start)
  WHERE kind IN ('client', 'producer');
CREATE TABLE IF NOT EXISTS trace_traces (
  trace_id TEXT PRIMARY KEY, service TEXT NOT NULL, name TEXT NOT NULL, endpoint TEXT,
  start REAL NOT NULL, duration REAL NOT NULL, spans INTEGER NOT NULL, errors INTEGER NOT NULL,
  services TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trace_traces_start ON trace_traces (start);
CREATE INDEX IF NOT EXISTS trace_traces_errors ON trace_traces (start) WHERE errors > 0;
CREATE TABLE IF NOT EXISTS trace_tags (
  trace_id TEXT NOT NULL, tag TEXT NOT NULL, start REAL NOT NULL,
  PRIMARY KEY (trace_id, tag)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trace_tags_tag ON trace_tags (tag, start);
`;

interface SpanRow {
  trace_id: string;
  span_id: string;
  parent_id: string | null;
  name: string;
  kind: SpanRecord['kind'];
  service: string;
  endpoint: string | null;
  start: number;
  duration: number;
  status: SpanRecord['status'];
  code: number | null;
  message: string | null;
  attributes: string;
  events: string | null;
}

interface TraceRow {
  trace_id: string;
  service: string;
  name: string;
  endpoint: string | null;
  start: number;
  duration: number;
  spans: number;
  errors: number;
  services: string;
}

const spanOf = (r: SpanRow): SpanRecord => ({
  traceId: r.trace_id,
  spanId: r.span_id,
  ...(r.parent_id !== null && { parentSpanId: r.parent_id }),
  name: r.name,
  kind: r.kind,
  service: r.service,
  ...(r.endpoint !== null && { endpoint: r.endpoint }),
  start: r.start,
  duration: r.duration,
  status: r.status,
  ...(r.code !== null && { code: r.code }),
  ...(r.message !== null && { message: r.message }),
  attributes: JSON.parse(r.attributes) as SpanRecord['attributes'],
  ...(r.events !== null && { events: JSON.parse(r.events) as SpanRecord['events'] }),
});

const summaryOf = (r: TraceRow): TraceSummary => ({
  traceId: r.trace_id,
  service: r.service,
  name: r.name,
  ...(r.endpoint !== null && { endpoint: r.endpoint }),
  start: r.start,
  duration: r.duration,
  spans: r.spans,
  errors: r.errors,
  services: JSON.parse(r.services) as string[],
});

const serviceTag = (s: string) => `s:${s}`;
const endpointTag = (e: string) => `e:${e}`;

/** The SELECT of a list query: driven by a tag's index when it filters by service or endpoint. */
function listSql(q: TraceQuery): { sql: string; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  const tags = [
    ...(q.endpoint === undefined ? [] : [endpointTag(q.endpoint)]),
    ...(q.service === undefined ? [] : [serviceTag(q.service)]),
  ];
  const [driver, ...rest] = tags;
  const at = driver === undefined ? 't.start' : 'g.start';
  if (driver !== undefined) {
    where.push('g.tag = ?');
    args.push(driver);
  }
  for (const tag of rest) {
    where.push('EXISTS (SELECT 1 FROM trace_tags o WHERE o.trace_id = t.trace_id AND o.tag = ?)');
    args.push(tag);
  }
  if (q.status === 'error') where.push('t.errors > 0');
  if (q.status === 'ok') where.push('t.errors = 0');
  const bound = (clause: string, v: number | undefined) => {
    if (v === undefined) return;
    where.push(clause);
    args.push(v);
  };
  bound('t.duration >= ?', q.minDuration);
  bound('t.duration <= ?', q.maxDuration);
  bound(`${at} >= ?`, q.since);
  bound(`${at} < ?`, q.until);
  const from =
    driver === undefined
      ? 'trace_traces t'
      : 'trace_tags g JOIN trace_traces t ON t.trace_id = g.trace_id';
  const filter = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
  return { sql: `SELECT t.* FROM ${from} ${filter} ORDER BY ${at} DESC LIMIT ?`, args };
}

/** A Trace stored in SQLite at `options.path`. */
export function createSqliteTrace(options: SqliteTraceOptions): Trace {
  const keep = options.keep ?? TRACE_BOUNDS.keep;
  const maxAge = options.maxAge ?? TRACE_BOUNDS.maxAge;
  const now = options.now ?? Date.now;
  const db: Database.Database = openDatabase(options.path, options.nativeBinding);
  db.exec(SCHEMA);
  const q = {
    insert: db.prepare(
      `INSERT OR REPLACE INTO trace_spans (trace_id, span_id, parent_id, name, kind, service,
       endpoint, start, duration, status, code, message, attributes, events, peer)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    summed: db.prepare(
      `SELECT parent_id AS parentSpanId, name, service, endpoint, start, duration, status
       FROM trace_spans WHERE trace_id = ?`,
    ),
    endpoints: db
      .prepare(
        'SELECT DISTINCT endpoint FROM trace_spans WHERE trace_id = ? AND endpoint IS NOT NULL',
      )
      .pluck(),
    counted: db.prepare('SELECT spans FROM trace_traces WHERE trace_id = ?').pluck(),
    upsert: db.prepare(
      `INSERT OR REPLACE INTO trace_traces (trace_id, service, name, endpoint, start, duration,
       spans, errors, services) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    unsum: db.prepare('DELETE FROM trace_traces WHERE trace_id = ?'),
    untag: db.prepare('DELETE FROM trace_tags WHERE trace_id = ?'),
    tag: db.prepare('INSERT OR IGNORE INTO trace_tags (trace_id, tag, start) VALUES (?, ?, ?)'),
    total: db.prepare('SELECT coalesce(sum(spans), 0) FROM trace_traces').pluck(),
    oldest: db.prepare('SELECT min(start) FROM trace_spans').pluck(),
    expire: db.prepare('DELETE FROM trace_spans WHERE start < ? RETURNING trace_id').pluck(),
    trim: db
      .prepare(
        `DELETE FROM trace_spans WHERE rowid IN
         (SELECT rowid FROM trace_spans ORDER BY start LIMIT ?) RETURNING trace_id`,
      )
      .pluck(),
    spans: db.prepare('SELECT * FROM trace_spans WHERE trace_id = ? ORDER BY start'),
    calls: db.prepare(
      `SELECT s.service AS "from", coalesce(s.peer, (SELECT c.service FROM trace_spans c
         WHERE c.trace_id = s.trace_id AND c.parent_id = s.span_id AND c.kind = 'server'
         LIMIT 1)) AS "to", s.duration AS duration, s.status = 'error' AS error
       FROM trace_spans s WHERE s.kind IN ('client', 'producer') AND s.start >= ? AND s.start < ?`,
    ),
    seen: db.prepare('SELECT services FROM trace_traces WHERE start >= ? AND start < ?').pluck(),
  };
  let total = q.total.get() as number;
  const lists = new Map<string, Database.Statement>();

  // The summary and tags of a trace made again from its rows (removed when it has none left).
  const resummarize = (traceId: string): void => {
    const before = (q.counted.get(traceId) as number | undefined) ?? 0;
    const rows = (
      q.summed.all(traceId) as (SummedSpan & {
        parentSpanId: string | null;
        endpoint: string | null;
      })[]
    ).map((r) => ({
      ...r,
      parentSpanId: r.parentSpanId ?? undefined,
      endpoint: r.endpoint ?? undefined,
    }));
    total += rows.length - before;
    q.untag.run(traceId);
    if (rows.length === 0) {
      q.unsum.run(traceId);
      return;
    }
    const t = summarize(traceId, rows);
    q.upsert.run(
      traceId,
      t.service,
      t.name,
      t.endpoint ?? null,
      t.start,
      t.duration,
      t.spans,
      t.errors,
      JSON.stringify(t.services),
    );
    for (const s of t.services) q.tag.run(traceId, serviceTag(s), t.start);
    for (const e of q.endpoints.all(traceId) as string[])
      q.tag.run(traceId, endpointTag(e), t.start);
  };
  // Deletes the spans past maxAge, then the oldest past keep; summaries follow.
  const prune = db.transaction((): void => {
    const touched = new Set<string>();
    const oldest = q.oldest.get() as number | null;
    if (oldest !== null && oldest < now() - maxAge)
      for (const id of q.expire.all(now() - maxAge) as string[]) touched.add(id);
    for (const id of touched) resummarize(id);
    if (total > keep) {
      const more = new Set(q.trim.all(total - keep) as string[]);
      for (const id of more) resummarize(id);
    }
  });
  const write = db.transaction((spans: SpanRecord[]): void => {
    const touched = new Set<string>();
    for (const s of spans) {
      q.insert.run(
        s.traceId,
        s.spanId,
        s.parentSpanId ?? null,
        s.name,
        s.kind,
        s.service,
        s.endpoint ?? null,
        s.start,
        s.duration,
        s.status,
        s.code ?? null,
        s.message ?? null,
        JSON.stringify(s.attributes),
        s.events === undefined ? null : JSON.stringify(s.events),
        peerOf(s) ?? null,
      );
      touched.add(s.traceId);
    }
    for (const id of touched) resummarize(id);
    prune();
  });

  return {
    async write(input) {
      const spans = checkSpans(input);
      if (spans.length > 0) write(spans);
    },
    async list(query) {
      const checked = checkQuery(query);
      prune();
      const { sql, args } = listSql(checked);
      let statement = lists.get(sql);
      if (!statement) lists.set(sql, (statement = db.prepare(sql)));
      return (statement.all(...args, checked.limit) as TraceRow[]).map(summaryOf);
    },
    async get(traceId) {
      checkTraceId(traceId);
      prune();
      const rows = q.spans.all(traceId) as SpanRow[];
      if (rows.length === 0) throw notFound(TRACE_ID, `no trace ${traceId} is kept`);
      return { traceId, spans: rows.map(spanOf) };
    },
    async map(query) {
      const window = checkWindow(query, now());
      prune();
      const calls = (
        q.calls.all(window.since, window.until) as (Omit<MapCall, 'to' | 'error'> & {
          to: string | null;
          error: number;
        })[]
      ).flatMap((c): MapCall[] =>
        c.to === null
          ? []
          : [{ from: c.from, to: c.to, duration: c.duration, error: c.error === 1 }],
      );
      const seen = (q.seen.all(window.since, window.until) as string[]).flatMap(
        (s) => JSON.parse(s) as string[],
      );
      return buildMap(window, calls, seen);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}

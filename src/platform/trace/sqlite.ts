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
import {
  buildMap,
  merged,
  peerOf,
  summed,
  type MapCall,
  type Summed,
  type SummedSpan,
} from './summary.ts';
import {
  endpointTag,
  listSql,
  serviceTag,
  spanOf,
  summaryOf,
  type SpanRow,
  type TraceRow,
} from './sqlite-query.ts';
import type { SpanRecord, Trace } from './trace.ts';
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
  services TEXT NOT NULL, rooted INTEGER NOT NULL, top_start REAL NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trace_traces_start ON trace_traces (start);
CREATE INDEX IF NOT EXISTS trace_traces_errors ON trace_traces (start) WHERE errors > 0;
CREATE TABLE IF NOT EXISTS trace_tags (
  trace_id TEXT NOT NULL, tag TEXT NOT NULL, start REAL NOT NULL,
  PRIMARY KEY (trace_id, tag)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trace_tags_tag ON trace_tags (tag, start);
`;

/** A Trace stored in SQLite at `options.path`. */
export function createSqliteTrace(options: SqliteTraceOptions): Trace {
  const keep = options.keep ?? TRACE_BOUNDS.keep;
  const maxAge = options.maxAge ?? TRACE_BOUNDS.maxAge;
  const now = options.now ?? Date.now;
  const db: Database.Database = openDatabase(options.path, options.nativeBinding);
  db.exec(SCHEMA);
  const q = {
    add: db.prepare(
      `INSERT INTO trace_spans (parent_id, name, kind, service, endpoint, start, duration, status,
       code, message, attributes, events, peer, trace_id, span_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ),
    replace: db.prepare(
      `UPDATE trace_spans SET parent_id = ?, name = ?, kind = ?, service = ?, endpoint = ?,
       start = ?, duration = ?, status = ?, code = ?, message = ?, attributes = ?, events = ?,
       peer = ? WHERE trace_id = ? AND span_id = ?`,
    ),
    summary: db.prepare('SELECT * FROM trace_traces WHERE trace_id = ?'),
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
       spans, errors, services, rooted, top_start) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    retime: db.prepare('UPDATE trace_tags SET start = ? WHERE trace_id = ?'),
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

  const store = (traceId: string, m: Summed): void => {
    const t = m.summary;
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
      m.rooted ? 1 : 0,
      m.topStart,
    );
  };
  // The summary and tags of a trace made again from its rows (removed when it has none left):
  // after a span is replaced or dropped.
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
    const m = summed(traceId, rows);
    store(traceId, m);
    for (const s of m.summary.services) q.tag.run(traceId, serviceTag(s), m.summary.start);
    for (const e of q.endpoints.all(traceId) as string[])
      q.tag.run(traceId, endpointTag(e), m.summary.start);
  };
  // The summary and tags of a trace with spans new to it merged in: no read of its other spans.
  const extend = (traceId: string, added: SpanRecord[]): void => {
    const row = q.summary.get(traceId) as TraceRow | undefined;
    const m = row
      ? merged(
          { summary: summaryOf(row), rooted: row.rooted === 1, topStart: row.top_start },
          added,
        )
      : summed(traceId, added);
    total += added.length;
    store(traceId, m);
    const start = m.summary.start;
    if (row && row.start !== start) q.retime.run(start, traceId);
    const tags = new Set<string>();
    for (const s of added) {
      tags.add(serviceTag(s.service));
      if (s.endpoint !== undefined) tags.add(endpointTag(s.endpoint));
    }
    for (const tag of tags) q.tag.run(traceId, tag, start);
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
    const added = new Map<string, SpanRecord[]>();
    const replaced = new Set<string>();
    for (const s of spans) {
      const row = [
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
        s.traceId,
        s.spanId,
      ];
      if (q.add.run(...row).changes === 1) {
        const list = added.get(s.traceId);
        if (list) list.push(s);
        else added.set(s.traceId, [s]);
      } else {
        q.replace.run(...row);
        replaced.add(s.traceId);
      }
    }
    for (const [id, list] of added) if (!replaced.has(id)) extend(id, list);
    for (const id of replaced) resummarize(id);
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

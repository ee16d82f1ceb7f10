// The SQLite Trace's rows and list queries (sqlite.ts): rows of trace_spans and trace_traces as
// spans and summaries, and the SELECT of a list query, driven by the tags' (tag, start) index when
// it filters by service or endpoint, else by the summaries' start index.
import type { SpanRecord, TraceQuery, TraceSummary } from './trace.ts';

/** A row of trace_spans. */
export interface SpanRow {
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

/** A row of trace_traces. */
export interface TraceRow {
  trace_id: string;
  service: string;
  name: string;
  endpoint: string | null;
  start: number;
  duration: number;
  spans: number;
  errors: number;
  services: string;
  rooted: number;
  top_start: number;
}

/** The span a row of trace_spans holds. */
export const spanOf = (r: SpanRow): SpanRecord => ({
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

/** The summary a row of trace_traces holds. */
export const summaryOf = (r: TraceRow): TraceSummary => ({
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

/** The tag of a trace with a span of service s. */
export const serviceTag = (s: string) => `s:${s}`;
/** The tag of a trace with a span of endpoint e. */
export const endpointTag = (e: string) => `e:${e}`;

/** The SELECT of a list query: driven by a tag's index when it filters by service or endpoint. */
export function listSql(q: TraceQuery): { sql: string; args: unknown[] } {
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

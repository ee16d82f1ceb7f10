// Logs in SQLite (the control plane's micro.db): one table of lines with indexes by service, level,
// trace and time, and a table of sources with each service's count, so the per-service bound
// (`keep`, default 10,000 lines) costs no count per write. Lines older than `maxAge` (default 7
// days) go at most once a minute, on a write. Ids are AUTOINCREMENT, never reused, so a reader's
// `after` stays valid across deletions. grep is LIKE with its wildcards escaped and every value
// bound as a parameter; it scans the lines the other filters leave (at most keep x services).
import type Database from 'better-sqlite3';
import { openDatabase } from '../../registry/sqlite.ts';
import { follow } from './follow.ts';
import { LOG_LEVELS, type LogQuery, type LogRecord, type Logs, type LogSource } from './logs.ts';
import { LOGS_BOUNDS, type LogsBounds } from './memory.ts';
import { checkQuery, checkRecords, levelRank } from './validate.ts';

/** Options of the SQLite logs. */
export interface SqliteLogsOptions extends LogsBounds {
  /** The database file (`:memory:` for tests). */
  path?: string;
  /** better-sqlite3's addon, when the single executable loaded it. */
  nativeBinding?: unknown;
  /** An open connection to share instead (left open by close()). */
  db?: Database.Database;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS logs_lines (
  id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, service TEXT NOT NULL,
  node TEXT, level INTEGER NOT NULL, msg TEXT NOT NULL, trace_id TEXT, span_id TEXT, fields TEXT);
CREATE INDEX IF NOT EXISTS logs_by_service ON logs_lines (service, id);
CREATE INDEX IF NOT EXISTS logs_by_level ON logs_lines (level, id);
CREATE INDEX IF NOT EXISTS logs_by_trace ON logs_lines (trace_id) WHERE trace_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS logs_by_time ON logs_lines (time);
CREATE TABLE IF NOT EXISTS logs_sources (
  service TEXT PRIMARY KEY, lines INTEGER NOT NULL, last INTEGER NOT NULL);
`;

interface Row {
  id: number;
  time: number;
  service: string;
  node: string | null;
  level: number;
  msg: string;
  trace_id: string | null;
  span_id: string | null;
  fields: string | null;
}

const recordOf = (r: Row): LogRecord => ({
  id: r.id,
  time: r.time,
  service: r.service,
  ...(r.node !== null && { node: r.node }),
  level: LOG_LEVELS[r.level] ?? 'info',
  msg: r.msg,
  ...(r.trace_id !== null && { traceId: r.trace_id }),
  ...(r.span_id !== null && { spanId: r.span_id }),
  ...(r.fields !== null && { fields: JSON.parse(r.fields) as Record<string, unknown> }),
});

/** `%`, `_` and `\` taken literally by LIKE ... ESCAPE '\'. */
const literal = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The WHERE clause and its parameters of a query's filters. */
function where(q: LogQuery): { sql: string; params: (string | number)[] } {
  const parts: string[] = [];
  const params: (string | number)[] = [];
  const add = (sql: string, ...values: (string | number)[]): void => {
    parts.push(sql);
    params.push(...values);
  };
  if (q.service !== undefined) add('service = ?', q.service);
  if (q.level !== undefined) add('level >= ?', levelRank(q.level));
  if (q.trace !== undefined) add('trace_id = ?', q.trace);
  if (q.since !== undefined) add('time >= ?', q.since);
  if (q.until !== undefined) add('time < ?', q.until);
  if (q.after !== undefined) add('id > ?', q.after);
  if (q.grep !== undefined) {
    const pattern = `%${literal(q.grep)}%`;
    add("(msg LIKE ? ESCAPE '\\' OR fields LIKE ? ESCAPE '\\')", pattern, pattern);
  }
  return { sql: parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** Logs kept in SQLite. */
export function createSqliteLogs(options: SqliteLogsOptions = {}): Logs {
  const owned = options.db === undefined;
  const db = options.db ?? openDatabase(options.path ?? ':memory:', options.nativeBinding);
  const keep = options.keep ?? LOGS_BOUNDS.keep;
  const maxAge = options.maxAge ?? LOGS_BOUNDS.maxAge;
  db.exec(SCHEMA);
  const insert = db.prepare(
    `INSERT INTO logs_lines (time, service, node, level, msg, trace_id, span_id, fields)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const counted = db.prepare(
    `INSERT INTO logs_sources (service, lines, last) VALUES (?, ?, ?)
     ON CONFLICT (service) DO UPDATE SET lines = lines + excluded.lines, last = max(last, excluded.last)
     RETURNING lines`,
  );
  const trim = db.prepare(
    `DELETE FROM logs_lines WHERE service = ? AND id <= (
       SELECT id FROM logs_lines WHERE service = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
  );
  const setLines = db.prepare('UPDATE logs_sources SET lines = ? WHERE service = ?');
  const expire = db.prepare('DELETE FROM logs_lines WHERE time < ?');
  const recount = db.prepare(
    `INSERT OR REPLACE INTO logs_sources (service, lines, last)
     SELECT service, COUNT(*), MAX(time) FROM logs_lines GROUP BY service`,
  );
  const lastId = db.prepare<[], { id: number | null }>('SELECT MAX(id) AS id FROM logs_lines');
  const listSources = db.prepare<[], LogSource>(
    'SELECT service, lines, last FROM logs_sources WHERE lines > 0 ORDER BY service',
  );
  const selects = new Map<string, Database.Statement<(string | number)[], Row>>();
  const select = (sql: string) => {
    let s = selects.get(sql);
    if (!s) {
      if (selects.size > 64) selects.clear();
      selects.set(sql, (s = db.prepare<(string | number)[], Row>(sql)));
    }
    return s;
  };
  let swept = 0;
  const sweep = (now: number): void => {
    if (now - swept < 60_000) return;
    swept = now;
    if (expire.run(now - maxAge).changes > 0) {
      db.exec('DELETE FROM logs_sources');
      recount.run();
    }
  };
  const store = db.transaction((records: LogRecord[]) => {
    const added = new Map<string, { lines: number; last: number }>();
    for (const r of records) {
      insert.run(
        r.time,
        r.service,
        r.node ?? null,
        levelRank(r.level),
        r.msg,
        r.traceId ?? null,
        r.spanId ?? null,
        r.fields ? JSON.stringify(r.fields) : null,
      );
      const a = added.get(r.service) ?? { lines: 0, last: 0 };
      added.set(r.service, { lines: a.lines + 1, last: Math.max(a.last, r.time) });
    }
    for (const [service, a] of added) {
      const { lines } = counted.get(service, a.lines, a.last) as { lines: number };
      if (lines > keep) {
        trim.run(service, service, keep);
        setLines.run(keep, service);
      }
    }
    sweep(Date.now());
  });
  const pick = (q: LogQuery & { limit: number }): LogRecord[] => {
    const w = where(q);
    const forward = q.after !== undefined;
    const rows = select(
      `SELECT * FROM logs_lines ${w.sql} ORDER BY id ${forward ? 'ASC' : 'DESC'} LIMIT ?`,
    ).all(...w.params, q.limit);
    if (!forward) rows.reverse();
    return rows.map(recordOf);
  };
  const listeners = new Set<() => void>();
  const followable = {
    forward: async (q: LogQuery & { after: number; limit: number }) => pick(q),
    lastId: async () => lastId.get()?.id ?? 0,
    onWrite(fn: () => void) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
  return {
    async write(records) {
      const checked = checkRecords(records);
      if (checked.length === 0) return;
      store(checked);
      for (const fn of listeners) fn();
    },
    async read(query = {}) {
      return pick(checkQuery(query));
    },
    watch(query, signal) {
      const { limit: _limit, ...q } = checkQuery(query);
      return follow(followable, q, signal);
    },
    async sources() {
      return listSources.all();
    },
    async close() {
      listeners.clear();
      if (owned && db.open) db.close();
    },
  };
}

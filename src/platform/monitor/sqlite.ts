// The monitor's status changes in the control plane's SQLite (micro.db, table monitor_changes):
// they survive a restart of the control plane; the newest `keep` are kept (MICRO_MONITOR_KEEP,
// default 10,000), older ones deleted as new ones come. Current statuses are not stored: a
// restarted control plane probes every node again.
import type Database from 'better-sqlite3';
import type { StatusChange } from './monitor.ts';
import { DEFAULT_KEEP, type HistoryStore } from './history.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS monitor_changes (
  id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, service TEXT NOT NULL,
  version TEXT NOT NULL, node TEXT NOT NULL, from_status TEXT NOT NULL, to_status TEXT NOT NULL,
  detail TEXT);
CREATE INDEX IF NOT EXISTS monitor_changes_service ON monitor_changes (service, id);
CREATE INDEX IF NOT EXISTS monitor_changes_node ON monitor_changes (node, id);
`;

interface Row {
  id: number;
  time: number;
  service: string;
  version: string;
  node: string;
  from_status: string;
  to_status: string;
  detail: string | null;
}

const change = (r: Row): StatusChange => ({
  id: r.id,
  time: r.time,
  service: r.service,
  version: r.version,
  node: r.node,
  from: r.from_status as StatusChange['from'],
  to: r.to_status as StatusChange['to'],
  ...(r.detail !== null ? { detail: r.detail } : {}),
});

/** Status changes in `db`'s table (created if missing); closing it leaves the database open. */
export function sqliteHistory(db: Database.Database, keep = DEFAULT_KEEP): HistoryStore {
  db.exec(SCHEMA);
  const insert = db.prepare<[number, string, string, string, string, string, string | null]>(
    `INSERT INTO monitor_changes (time, service, version, node, from_status, to_status, detail)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const trim = db.prepare<[number]>('DELETE FROM monitor_changes WHERE id <= ?');
  // Filters left out are NULL parameters, so that one statement serves every query.
  const list = db.prepare<Record<string, unknown>, Row>(
    `SELECT * FROM monitor_changes
     WHERE (@service IS NULL OR service = @service) AND (@node IS NULL OR node = @node)
       AND (@since IS NULL OR time >= @since)
     ORDER BY id DESC LIMIT @limit`,
  );
  return {
    append(c) {
      const id = Number(
        insert.run(c.time, c.service, c.version, c.node, c.from, c.to, c.detail ?? null)
          .lastInsertRowid,
      );
      if (id > keep) trim.run(id - keep);
      return { id, ...c };
    },
    list(q) {
      return list
        .all({
          service: q.service ?? null,
          node: q.node ?? null,
          since: q.since ?? null,
          limit: q.limit,
        })
        .map(change);
    },
    close() {
      // The database is the control plane's: it closes it.
    },
  };
}

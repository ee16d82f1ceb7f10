// The SQLite events: what the control plane serves as the `events` service (tables `events_*` in
// micro.db). One connection, WAL, better-sqlite3's synchronous calls. Publishes made in one turn of
// the event loop are one transaction (group commit); a publish resolves once committed to the WAL
// (synchronous=NORMAL: survives a crash or SIGKILL of the process, as the store's writes do; FULL
// also survives power loss). Each topic has a row with its first and last offsets and retention;
// events are keyed (topic id, offset), so a replay is a range scan, and times never go backwards
// within a topic (a clock stepping back stores the last time again), so a time is found by binary
// search. Keys are kept in events_keys for the dedupe window. Groups' positions, pending deliveries
// (attempts, deadlines) and dead-letter counts are in events_groups and events_pending, written once
// per turn (sqlite-journal.ts): a restarted engine delivers again what was pending once its
// deadline has passed.
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { openDatabase } from '../../registry/sqlite.ts';
import { EVENTS_LIMITS, type Events, type Published, type TopicInfo } from './events.ts';
import { createLogEvents, type LogEventsOptions } from './engine.ts';
import type { EventLog, LogRow } from './log.ts';
import { GroupJournal } from './sqlite-journal.ts';

/** Options of the SQLite events: a file to open, or a connection to share. */
export type SqliteEventsOptions = LogEventsOptions & {
  /** NORMAL (default: survives a process crash) or FULL (fsync per commit: survives power loss). */
  synchronous?: 'NORMAL' | 'FULL';
} & (
    | {
        /** The database file (micro.db in the control plane's data folder); created if missing. */
        path: string;
        /** better-sqlite3's native addon, already loaded: how the single executable passes it in. */
        nativeBinding?: unknown;
      }
    | {
        /** An open connection (in WAL) to share; left open by close(). */
        db: Database.Database;
      }
  );

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events_topics (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, first INTEGER NOT NULL DEFAULT 0,
  last INTEGER NOT NULL DEFAULT 0, last_time INTEGER NOT NULL DEFAULT 0,
  max_age INTEGER NOT NULL, max_count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events_log (
  topic INTEGER NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, key TEXT, time INTEGER NOT NULL,
  metadata TEXT, data TEXT NOT NULL, PRIMARY KEY (topic, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events_keys (
  topic INTEGER NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL,
  time INTEGER NOT NULL, PRIMARY KEY (topic, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_keys_time ON events_keys (time);
`;

interface Topic {
  id: number;
  name: string;
  first: number;
  last: number;
  lastTime: number;
  maxAge: number;
  maxCount: number;
}

const ROW = 'seq AS offset, id, key, time, metadata, data';

/** The log of the SQLite engine, on an open connection. */
export function createSqliteLog(db: Database.Database, owned: boolean): EventLog {
  db.exec(SCHEMA);
  const journal = new GroupJournal(db);
  const q = {
    topics: db.prepare('SELECT * FROM events_topics'),
    create: db.prepare(
      'INSERT INTO events_topics (name, max_age, max_count) VALUES (?, ?, ?) RETURNING id',
    ),
    update: db.prepare('UPDATE events_topics SET first = ?, last = ?, last_time = ? WHERE id = ?'),
    retention: db.prepare('UPDATE events_topics SET max_age = ?, max_count = ? WHERE id = ?'),
    insert: db.prepare(
      'INSERT INTO events_log (topic, seq, id, key, time, metadata, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    seen: db.prepare('SELECT seq, id, time FROM events_keys WHERE topic = ? AND key = ?'),
    remember: db.prepare(
      'INSERT INTO events_keys (topic, key, seq, id, time) VALUES (?, ?, ?, ?, ?)',
    ),
    forget: db.prepare('DELETE FROM events_keys WHERE time < ?'),
    rows: db.prepare(
      `SELECT ${ROW} FROM events_log WHERE topic = ? AND seq >= ? ORDER BY seq LIMIT ?`,
    ),
    range: db.prepare(
      `SELECT ${ROW} FROM events_log WHERE topic = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?`,
    ),
    timeAt: db
      .prepare('SELECT time FROM events_log WHERE topic = ? AND seq >= ? ORDER BY seq LIMIT 1')
      .pluck(),
    cut: db.prepare('DELETE FROM events_log WHERE topic = ? AND seq < ?'),
  };
  const topics = new Map<string, Topic>();
  for (const r of q.topics.all() as Record<string, number | string>[])
    topics.set(r.name as string, {
      id: r.id as number,
      name: r.name as string,
      first: r.first as number,
      last: r.last as number,
      lastTime: r.last_time as number,
      maxAge: r.max_age as number,
      maxCount: r.max_count as number,
    });
  // Inside a transaction: the topic, made if new (the map learns of it once committed).
  const row = (name: string, made: Map<string, Topic>): Topic => {
    const t = made.get(name) ?? topics.get(name);
    if (t) return t;
    const { maxAge, maxCount } = EVENTS_LIMITS.retention;
    const id = q.create.pluck().get(name, maxAge, maxCount) as number;
    const fresh = { id, name, first: 0, last: 0, lastTime: 0, maxAge, maxCount };
    made.set(name, fresh);
    return fresh;
  };
  const info = (t: Topic): TopicInfo => ({
    topic: t.name,
    first: t.first,
    last: t.last,
    count: t.first === 0 ? 0 : t.last - t.first + 1,
    lastTime: t.lastTime,
    retention: { maxAge: t.maxAge, maxCount: t.maxCount },
  });
  /** Drops the events before `first` (none left: first is 0). */
  const cutTo = (t: Topic, first: number): void => {
    if (t.first === 0 || first <= t.first) return;
    q.cut.run(t.id, first);
    t.first = first > t.last ? 0 : first;
  };
  /** The first offset stored at or after `time` (last + 1 when none), by binary search. */
  const offsetAt = (t: Topic, time: number): number => {
    if (t.first === 0 || t.lastTime < time) return t.last + 1;
    let lo = t.first;
    let hi = t.last;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if ((q.timeAt.get(t.id, mid) as number) < time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const append = db.transaction((batches: Parameters<EventLog['append']>[0], now: number) => {
    const made = new Map<string, Topic>();
    const touched = new Map<string, Topic>();
    const results = batches.map(({ topic, events }) => {
      let t = touched.get(topic);
      if (!t) touched.set(topic, (t = { ...row(topic, made) }));
      const out = events.map((e): Published => {
        if (e.key !== undefined) {
          const seen = q.seen.get(t.id, e.key) as
            { seq: number; id: string; time: number } | undefined;
          if (seen)
            return { topic, offset: seen.seq, id: seen.id, time: seen.time, duplicate: true };
        }
        const offset = ++t.last;
        const id = randomUUID();
        const time = Math.max(now, t.lastTime);
        t.lastTime = time;
        if (t.first === 0) t.first = offset;
        const metadata = Object.keys(e.metadata).length > 0 ? JSON.stringify(e.metadata) : null;
        q.insert.run(t.id, offset, id, e.key ?? null, time, metadata, e.json);
        if (e.key !== undefined) q.remember.run(t.id, e.key, offset, id, time);
        return { topic, offset, id, time, duplicate: false };
      });
      if (t.first !== 0 && t.last - t.first + 1 > t.maxCount) cutTo(t, t.last - t.maxCount + 1);
      return out;
    });
    for (const t of touched.values()) q.update.run(t.first, t.last, t.lastTime, t.id);
    return { results, touched };
  });

  return {
    name: 'sqlite',
    address: owned ? db.name : 'micro.db',
    append(batches, now) {
      const { results, touched } = append(batches, now);
      for (const t of touched.values()) topics.set(t.name, t);
      return results;
    },
    rows(topic, from, limit) {
      const t = topics.get(topic);
      return t ? (q.rows.all(t.id, from, limit) as LogRow[]) : [];
    },
    read(topic, r) {
      const t = topics.get(topic);
      if (!t || t.first === 0) return [];
      let from = Math.max(r.from ?? t.first, t.first);
      let to = Math.min(r.to ?? t.last, t.last);
      if (r.since !== undefined) from = Math.max(from, offsetAt(t, r.since));
      if (r.until !== undefined) to = Math.min(to, offsetAt(t, r.until + 1) - 1);
      return from > to ? [] : (q.range.all(t.id, from, to, r.limit + 1) as LogRow[]);
    },
    topic: (name) => {
      const t = topics.get(name);
      return t && info(t);
    },
    ensure(name) {
      if (topics.has(name)) return;
      const made = new Map<string, Topic>();
      row(name, made);
      for (const t of made.values()) topics.set(t.name, t);
    },
    topics(prefix, limit) {
      const names = [...topics.keys()].filter((n) => n.startsWith(prefix)).sort();
      return names.slice(0, limit).map((n) => info(topics.get(n)!));
    },
    offsetAt(topic, time) {
      const t = topics.get(topic);
      return t ? offsetAt(t, time) : 1;
    },
    configure: db.transaction((name: string, retention: { maxAge?: number; maxCount?: number }) => {
      const made = new Map<string, Topic>();
      const t = { ...row(name, made) };
      t.maxAge = retention.maxAge ?? t.maxAge;
      t.maxCount = retention.maxCount ?? t.maxCount;
      q.retention.run(t.maxAge, t.maxCount, t.id);
      if (t.first !== 0 && t.last - t.first + 1 > t.maxCount) cutTo(t, t.last - t.maxCount + 1);
      q.update.run(t.first, t.last, t.lastTime, t.id);
      topics.set(name, t);
    }),
    trim: db.transaction((now: number) => {
      for (const t of topics.values()) {
        if (t.first === 0) continue;
        const cutoff = now - t.maxAge;
        if ((q.timeAt.get(t.id, t.first) as number) >= cutoff) continue;
        cutTo(t, offsetAt(t, cutoff));
        q.update.run(t.first, t.last, t.lastTime, t.id);
      }
      q.forget.run(now - EVENTS_LIMITS.dedupeWindow);
    }),
    loadGroups: () => journal.load(),
    saveGroup: (g) => journal.saveGroup(g),
    savePending: (topic, group, offset, p) => journal.savePending(topic, group, offset, p),
    clearPending: (topic, group) => journal.clear(topic, group, false),
    dropGroup: (topic, group) => journal.clear(topic, group, true),
    flush: () => journal.flush(),
    close() {
      journal.writeNow();
      if (owned && db.open) db.close();
    },
  };
}

/** Events in a SQLite file (or on a shared connection). */
export function createSqliteEvents(options: SqliteEventsOptions): Events {
  const owned = 'path' in options;
  const db = owned ? openDatabase(options.path, options.nativeBinding) : options.db;
  if (options.synchronous === 'FULL') db.pragma('synchronous = FULL');
  return createLogEvents(createSqliteLog(db, owned), options);
}

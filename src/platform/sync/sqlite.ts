// The control plane's lock and election tables in SQLite (micro.db): rows with expiry times and
// counters per name, so fencing tokens and terms keep growing across a restart of the control
// plane. Leases are measured on the control plane's clock; one control plane serves them (SQLite
// is not shared between machines), so this engine is as available as that one process.
import type Database from 'better-sqlite3';
import type { StoredCandidate, StoredLeader, StoredLock, TableState } from './table.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sync_locks (
  name TEXT PRIMARY KEY, holder TEXT NOT NULL, token INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, ttl INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sync_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sync_leaders (
  name TEXT PRIMARY KEY, id TEXT NOT NULL, term INTEGER NOT NULL, since INTEGER NOT NULL,
  expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sync_candidates (
  name TEXT NOT NULL, id TEXT NOT NULL, joined INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY (name, id));
`;

interface LockRow {
  name: string;
  holder: string;
  token: number;
  expires_at: number;
  ttl: number;
}
interface LeaderRow {
  name: string;
  id: string;
  term: number;
  since: number;
  expires_at: number;
}

const lock = (r: LockRow | undefined): StoredLock | undefined =>
  r && { name: r.name, holder: r.holder, token: r.token, expiresAt: r.expires_at, ttl: r.ttl };
const leader = (r: LeaderRow | undefined): StoredLeader | undefined =>
  r && { name: r.name, id: r.id, term: r.term, since: r.since, expiresAt: r.expires_at };

/** The tables' state in `db` (created if missing); closing it leaves the database open. */
export function sqliteState(db: Database.Database): TableState {
  db.exec(SCHEMA);
  const q = {
    getLock: db.prepare<[string], LockRow>('SELECT * FROM sync_locks WHERE name = ?'),
    putLock: db.prepare(
      `INSERT INTO sync_locks (name, holder, token, expires_at, ttl) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, token = excluded.token,
       expires_at = excluded.expires_at, ttl = excluded.ttl`,
    ),
    deleteLock: db.prepare('DELETE FROM sync_locks WHERE name = ?'),
    // substr, not LIKE: a prefix may hold % or _.
    listLocks: db.prepare<[string, string], LockRow>(
      'SELECT * FROM sync_locks WHERE substr(name, 1, length(?)) = ? ORDER BY name',
    ),
    next: db.prepare<[string], { value: number }>(
      `INSERT INTO sync_counters (name, value) VALUES (?, 1)
       ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`,
    ),
    getLeader: db.prepare<[string], LeaderRow>('SELECT * FROM sync_leaders WHERE name = ?'),
    putLeader: db.prepare(
      `INSERT INTO sync_leaders (name, id, term, since, expires_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET id = excluded.id, term = excluded.term,
       since = excluded.since, expires_at = excluded.expires_at`,
    ),
    deleteLeader: db.prepare('DELETE FROM sync_leaders WHERE name = ?'),
    listLeaders: db.prepare<[], LeaderRow>('SELECT * FROM sync_leaders ORDER BY name'),
    candidates: db.prepare<[string], { id: string; joined: number; expires_at: number }>(
      'SELECT id, joined, expires_at FROM sync_candidates WHERE name = ? ORDER BY joined, id',
    ),
    putCandidate: db.prepare(
      `INSERT INTO sync_candidates (name, id, joined, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name, id) DO UPDATE SET expires_at = excluded.expires_at`,
    ),
    deleteCandidate: db.prepare('DELETE FROM sync_candidates WHERE name = ? AND id = ?'),
    sweepLocks: db.prepare('DELETE FROM sync_locks WHERE expires_at <= ?'),
    sweepCandidates: db.prepare('DELETE FROM sync_candidates WHERE expires_at <= ?'),
  };
  return {
    transaction: (fn) => db.transaction(fn).immediate(),
    getLock: (name) => lock(q.getLock.get(name)),
    putLock: (l) => void q.putLock.run(l.name, l.holder, l.token, l.expiresAt, l.ttl),
    deleteLock: (name) => void q.deleteLock.run(name),
    listLocks: (prefix) => q.listLocks.all(prefix, prefix).flatMap((r) => lock(r) ?? []),
    next: (counter) => q.next.get(counter)?.value ?? 1,
    getLeader: (name) => leader(q.getLeader.get(name)),
    putLeader: (l) => void q.putLeader.run(l.name, l.id, l.term, l.since, l.expiresAt),
    deleteLeader: (name) => void q.deleteLeader.run(name),
    listLeaders: () => q.listLeaders.all().flatMap((r) => leader(r) ?? []),
    candidates: (name): StoredCandidate[] =>
      q.candidates.all(name).map((r) => ({ id: r.id, joined: r.joined, expiresAt: r.expires_at })),
    putCandidate: (name, c) => void q.putCandidate.run(name, c.id, c.joined, c.expiresAt),
    deleteCandidate: (name, id) => void q.deleteCandidate.run(name, id),
    sweep(now) {
      q.sweepLocks.run(now);
      q.sweepCandidates.run(now);
    },
    close: () => undefined,
  };
}

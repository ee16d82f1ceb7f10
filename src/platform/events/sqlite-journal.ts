// The groups' state in SQLite (events_groups, events_pending): changes are journaled in memory,
// the last change of each row winning, and written in one transaction per turn of the event loop,
// so a burst of deliveries and acks costs one commit; `flush()` resolves once it is written.
import type Database from 'better-sqlite3';
import type { GroupRow, PendingRow } from './log.ts';

/** The SQL of the groups' tables. */
export const GROUP_SCHEMA = `
CREATE TABLE IF NOT EXISTS events_groups (
  topic TEXT NOT NULL, grp TEXT NOT NULL, next INTEGER NOT NULL, dead INTEGER NOT NULL,
  ack_timeout INTEGER NOT NULL, max_deliveries INTEGER NOT NULL, dead_letter TEXT NOT NULL,
  PRIMARY KEY (topic, grp)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events_pending (
  topic TEXT NOT NULL, grp TEXT NOT NULL, seq INTEGER NOT NULL, attempt INTEGER NOT NULL,
  deadline INTEGER NOT NULL, waiting INTEGER NOT NULL,
  PRIMARY KEY (topic, grp, seq)) WITHOUT ROWID;
`;

type PendingChange = { topic: string; group: string; offset: number; row: PendingRow | undefined };

/** Group changes waiting for their transaction. */
export class GroupJournal {
  readonly #groups = new Map<string, GroupRow>();
  readonly #pending = new Map<string, PendingChange>();
  /** The pending rows written: one delivered and acknowledged before it was written never is. */
  readonly #stored = new Set<string>();
  /** Groups whose pending rows (and, when `drop`, the group) go before the changes above. */
  readonly #cleared: { topic: string; group: string; drop: boolean }[] = [];
  #waiters: { resolve(): void; reject(err: unknown): void }[] = [];
  #scheduled = false;
  readonly #write: () => void;
  readonly #q;

  constructor(db: Database.Database) {
    db.exec(GROUP_SCHEMA);
    this.#q = {
      groups: db.prepare('SELECT * FROM events_groups'),
      pending: db.prepare('SELECT * FROM events_pending ORDER BY topic, grp, seq'),
      upsert: db.prepare(
        `INSERT INTO events_groups (topic, grp, next, dead, ack_timeout, max_deliveries, dead_letter)
         VALUES (@topic, @group, @next, @deadLettered, @ackTimeout, @maxDeliveries, @deadLetter)
         ON CONFLICT (topic, grp) DO UPDATE SET next = excluded.next, dead = excluded.dead,
           ack_timeout = excluded.ack_timeout, max_deliveries = excluded.max_deliveries,
           dead_letter = excluded.dead_letter`,
      ),
      put: db.prepare(
        `INSERT INTO events_pending (topic, grp, seq, attempt, deadline, waiting) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (topic, grp, seq) DO UPDATE SET attempt = excluded.attempt,
           deadline = excluded.deadline, waiting = excluded.waiting`,
      ),
      remove: db.prepare('DELETE FROM events_pending WHERE topic = ? AND grp = ? AND seq = ?'),
      clear: db.prepare('DELETE FROM events_pending WHERE topic = ? AND grp = ?'),
      drop: db.prepare('DELETE FROM events_groups WHERE topic = ? AND grp = ?'),
    };
    const q = this.#q;
    this.#write = db.transaction(() => {
      for (const c of this.#cleared.splice(0)) {
        q.clear.run(c.topic, c.group);
        if (c.drop) q.drop.run(c.topic, c.group);
      }
      for (const g of this.#groups.values()) q.upsert.run(g);
      this.#groups.clear();
      for (const [key, { topic, group, offset, row }] of this.#pending) {
        if (row) {
          q.put.run(topic, group, offset, row.attempt, row.deadline, row.waiting ? 1 : 0);
          this.#stored.add(key);
        } else {
          q.remove.run(topic, group, offset);
          this.#stored.delete(key);
        }
      }
      this.#pending.clear();
    });
  }

  /** Every group with its pending deliveries, as written. */
  load(): { group: GroupRow; pending: PendingRow[] }[] {
    type G = { topic: string; grp: string; next: number; dead: number } & Record<string, number>;
    type P = {
      topic: string;
      grp: string;
      seq: number;
      attempt: number;
      deadline: number;
      waiting: number;
    };
    const out = new Map<string, { group: GroupRow; pending: PendingRow[] }>();
    for (const g of this.#q.groups.all() as G[]) {
      out.set(`${g.topic}\0${g.grp}`, {
        group: {
          topic: g.topic,
          group: g.grp,
          next: g.next,
          deadLettered: g.dead,
          ackTimeout: g.ack_timeout!,
          maxDeliveries: g.max_deliveries!,
          deadLetter: (g as unknown as { dead_letter: string }).dead_letter,
        },
        pending: [],
      });
    }
    for (const p of this.#q.pending.all() as P[]) {
      this.#stored.add(`${p.topic}\0${p.grp}\0${p.seq}`);
      out.get(`${p.topic}\0${p.grp}`)?.pending.push({
        offset: p.seq,
        attempt: p.attempt,
        deadline: p.deadline,
        waiting: p.waiting === 1,
      });
    }
    return [...out.values()];
  }

  /** Journals a group's row. */
  saveGroup(g: GroupRow): void {
    this.#groups.set(`${g.topic}\0${g.group}`, { ...g });
    this.#schedule();
  }

  /** Journals a pending delivery, or its end. */
  savePending(topic: string, group: string, offset: number, row: PendingRow | undefined): void {
    const key = `${topic}\0${group}\0${offset}`;
    if (!row && !this.#stored.has(key)) {
      this.#pending.delete(key);
      return;
    }
    this.#pending.set(key, {
      topic,
      group,
      offset,
      row: row && { offset, attempt: row.attempt, deadline: row.deadline, waiting: row.waiting },
    });
    this.#schedule();
  }

  /** Journals the end of a group's pending deliveries, or of the whole group. */
  clear(topic: string, group: string, drop: boolean): void {
    const prefix = `${topic}\0${group}\0`;
    for (const key of this.#pending.keys()) if (key.startsWith(prefix)) this.#pending.delete(key);
    for (const key of this.#stored) if (key.startsWith(prefix)) this.#stored.delete(key);
    if (drop) this.#groups.delete(`${topic}\0${group}`);
    this.#cleared.push({ topic, group, drop });
    this.#schedule();
  }

  /** Resolves once everything journaled so far is written. */
  flush(): Promise<void> {
    if (!this.#scheduled) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Writes what is journaled now. */
  writeNow(): void {
    if (!this.#scheduled) return;
    this.#scheduled = false;
    const waiters = this.#waiters;
    this.#waiters = [];
    try {
      this.#write();
      for (const w of waiters) w.resolve();
    } catch (err) {
      for (const w of waiters) w.reject(err);
    }
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.writeNow());
  }
}

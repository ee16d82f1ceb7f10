// The groups' state in SQLite, written in one transaction per turn of the event loop (a burst of
// deliveries and acks costs one commit; `flush()` resolves once it is written). A delivery costs no
// row of its own while it is a first attempt in flight: each group's row keeps its floor (every
// offset at or below it settled), its next offset and the latest deadline of its first deliveries,
// so every offset between floor and next is pending with that deadline unless a row says otherwise.
// Rows are kept only for what differs: events_pending for a delivery past its first attempt or
// waiting for its redelivery, events_acked for an offset settled above the floor (out of order);
// the latter go once the floor passes them. A restarted engine so finds every delivery that was
// pending, due again at the latest when it was due.
import type Database from 'better-sqlite3';
import type { GroupRow, PendingRow } from './log.ts';

/** The SQL of the groups' tables (floor and deadline added to an older events_groups on open). */
export const GROUP_SCHEMA = `
CREATE TABLE IF NOT EXISTS events_groups (
  topic TEXT NOT NULL, grp TEXT NOT NULL, next INTEGER NOT NULL, dead INTEGER NOT NULL,
  ack_timeout INTEGER NOT NULL, max_deliveries INTEGER NOT NULL, dead_letter TEXT NOT NULL,
  floor INTEGER, deadline INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (topic, grp)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events_pending (
  topic TEXT NOT NULL, grp TEXT NOT NULL, seq INTEGER NOT NULL, attempt INTEGER NOT NULL,
  deadline INTEGER NOT NULL, waiting INTEGER NOT NULL,
  PRIMARY KEY (topic, grp, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events_acked (
  topic TEXT NOT NULL, grp TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (topic, grp, seq)) WITHOUT ROWID;
`;

/** What the journal knows of one group. */
interface GroupState {
  topic: string;
  group: string;
  /** The group itself, read at the write (none for one loaded and not saved since). */
  live: GroupRow | undefined;
  /** The floor last written. */
  floor: number;
  /** Changes of this turn: a pending row to keep, or undefined once settled. */
  changes: Map<number, PendingRow | undefined>;
  /** Offsets with a row in events_pending. */
  rows: Set<number>;
  /** Offsets with a row in events_acked, and the lowest. */
  acked: Set<number>;
  ackedMin: number;
  dirty: boolean;
}

/** Group changes waiting for their transaction. */
export class GroupJournal {
  readonly #states = new Map<string, GroupState>();
  readonly #dirty = new Set<GroupState>();
  #last: GroupState | undefined;
  /** Groups whose rows (and, when `drop`, the group) go before the changes above. */
  readonly #cleared: { topic: string; group: string; drop: boolean }[] = [];
  #waiters: { resolve(): void; reject(err: unknown): void }[] = [];
  #scheduled = false;
  readonly #write: () => void;
  readonly #q;

  constructor(db: Database.Database) {
    db.exec(GROUP_SCHEMA);
    const columns = (db.pragma('table_info(events_groups)') as { name: string }[]).map(
      (c) => c.name,
    );
    if (!columns.includes('floor')) db.exec('ALTER TABLE events_groups ADD COLUMN floor INTEGER');
    if (!columns.includes('deadline'))
      db.exec('ALTER TABLE events_groups ADD COLUMN deadline INTEGER NOT NULL DEFAULT 0');
    this.#q = {
      groups: db.prepare('SELECT * FROM events_groups'),
      pending: db.prepare('SELECT * FROM events_pending ORDER BY topic, grp, seq'),
      ackedAll: db.prepare('SELECT topic, grp, seq FROM events_acked'),
      upsert: db.prepare(
        `INSERT INTO events_groups
           (topic, grp, next, dead, ack_timeout, max_deliveries, dead_letter, floor, deadline)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (topic, grp) DO UPDATE SET next = excluded.next, dead = excluded.dead,
           ack_timeout = excluded.ack_timeout, max_deliveries = excluded.max_deliveries,
           dead_letter = excluded.dead_letter, floor = excluded.floor, deadline = excluded.deadline`,
      ),
      put: db.prepare(
        `INSERT INTO events_pending (topic, grp, seq, attempt, deadline, waiting) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (topic, grp, seq) DO UPDATE SET attempt = excluded.attempt,
           deadline = excluded.deadline, waiting = excluded.waiting`,
      ),
      remove: db.prepare('DELETE FROM events_pending WHERE topic = ? AND grp = ? AND seq = ?'),
      ack: db.prepare('INSERT OR IGNORE INTO events_acked (topic, grp, seq) VALUES (?, ?, ?)'),
      unack: db.prepare('DELETE FROM events_acked WHERE topic = ? AND grp = ? AND seq <= ?'),
      clear: db.prepare('DELETE FROM events_pending WHERE topic = ? AND grp = ?'),
      clearAcked: db.prepare('DELETE FROM events_acked WHERE topic = ? AND grp = ?'),
      drop: db.prepare('DELETE FROM events_groups WHERE topic = ? AND grp = ?'),
    };
    this.#write = db.transaction(() => {
      for (const c of this.#cleared.splice(0)) {
        this.#q.clear.run(c.topic, c.group);
        this.#q.clearAcked.run(c.topic, c.group);
        if (c.drop) this.#q.drop.run(c.topic, c.group);
      }
      for (const st of this.#dirty) this.#writeGroup(st);
      this.#dirty.clear();
    });
  }

  #writeGroup(st: GroupState): void {
    const q = this.#q;
    const { topic, group, live } = st;
    st.dirty = false;
    const floor = live ? live.floor : st.floor;
    if (live)
      q.upsert.run(
        topic,
        group,
        live.next,
        live.deadLettered,
        live.ackTimeout,
        live.maxDeliveries,
        live.deadLetter,
        floor,
        live.deadline,
      );
    for (const [offset, row] of st.changes) {
      if (row) {
        q.put.run(topic, group, offset, row.attempt, row.deadline, row.waiting ? 1 : 0);
        st.rows.add(offset);
        continue;
      }
      if (st.rows.delete(offset)) q.remove.run(topic, group, offset);
      if (offset > floor && !st.acked.has(offset)) {
        q.ack.run(topic, group, offset);
        st.acked.add(offset);
        if (offset < st.ackedMin) st.ackedMin = offset;
      }
    }
    st.changes.clear();
    if (st.acked.size > 0 && st.ackedMin <= floor) {
      q.unack.run(topic, group, floor);
      st.ackedMin = Infinity;
      for (const o of st.acked)
        if (o <= floor) st.acked.delete(o);
        else if (o < st.ackedMin) st.ackedMin = o;
    }
    st.floor = floor;
  }

  #state(topic: string, group: string): GroupState {
    // Deliveries and acks come in runs of one group: the last one found is asked first.
    const last = this.#last;
    if (last && last.topic === topic && last.group === group) return last;
    const key = `${topic}\0${group}`;
    let st = this.#states.get(key);
    if (!st) {
      st = {
        topic,
        group,
        live: undefined,
        floor: 0,
        changes: new Map(),
        rows: new Set(),
        acked: new Set(),
        ackedMin: Infinity,
        dirty: false,
      };
      this.#states.set(key, st);
    }
    this.#last = st;
    return st;
  }

  #touch(st: GroupState): void {
    if (!st.dirty) {
      st.dirty = true;
      this.#dirty.add(st);
    }
    this.#schedule();
  }

  /** Every group with its pending deliveries in offset order, as written. */
  load(): { group: GroupRow; pending: PendingRow[] }[] {
    type G = { topic: string; grp: string; floor: number | null; dead_letter: string } & Record<
      string,
      number
    >;
    type P = { topic: string; grp: string; seq: number } & Record<string, number>;
    const explicit = new Map<string, Map<number, PendingRow>>();
    for (const p of this.#q.pending.all() as P[]) {
      const key = `${p.topic}\0${p.grp}`;
      if (!explicit.has(key)) explicit.set(key, new Map());
      explicit.get(key)!.set(p.seq, {
        offset: p.seq,
        attempt: p.attempt!,
        deadline: p.deadline!,
        waiting: p.waiting === 1,
      });
    }
    for (const a of this.#q.ackedAll.all() as P[]) {
      const st = this.#state(a.topic, a.grp);
      st.acked.add(a.seq);
      if (a.seq < st.ackedMin) st.ackedMin = a.seq;
    }
    const out: { group: GroupRow; pending: PendingRow[] }[] = [];
    for (const g of this.#q.groups.all() as G[]) {
      const st = this.#state(g.topic, g.grp);
      const rows = explicit.get(`${g.topic}\0${g.grp}`) ?? new Map<number, PendingRow>();
      for (const offset of rows.keys()) st.rows.add(offset);
      // Written before floors were kept: every pending delivery has its row.
      const implied = g.floor !== null;
      const floor = implied
        ? g.floor!
        : Math.min(g.next! - 1, ...[...rows.keys()].map((o) => o - 1));
      st.floor = floor;
      const pending: PendingRow[] = [];
      for (let offset = floor + 1; offset < g.next!; offset++) {
        const row = rows.get(offset);
        if (row) pending.push(row);
        else if (implied && !st.acked.has(offset))
          pending.push({ offset, attempt: 1, deadline: g.deadline!, waiting: false });
      }
      out.push({
        group: {
          topic: g.topic,
          group: g.grp,
          next: g.next!,
          deadLettered: g.dead!,
          ackTimeout: g.ack_timeout!,
          maxDeliveries: g.max_deliveries!,
          deadLetter: g.dead_letter,
          floor,
          deadline: g.deadline!,
        },
        pending,
      });
    }
    return out;
  }

  /** Journals a group's row: `g` itself is read when the journal is written. */
  saveGroup(g: GroupRow): void {
    const st = this.#state(g.topic, g.group);
    st.live = g;
    this.#touch(st);
  }

  /** Journals a pending delivery, or its end (a first attempt in flight needs no row). */
  savePending(topic: string, group: string, offset: number, row: PendingRow | undefined): void {
    const st = this.#state(topic, group);
    if (row && row.attempt === 1 && !row.waiting && !st.rows.has(offset)) return;
    st.changes.set(
      offset,
      row && { offset, attempt: row.attempt, deadline: row.deadline, waiting: row.waiting },
    );
    this.#touch(st);
  }

  /** Journals the end of a group's pending deliveries, or of the whole group. */
  clear(topic: string, group: string, drop: boolean): void {
    const st = this.#state(topic, group);
    st.changes.clear();
    st.rows.clear();
    st.acked.clear();
    st.ackedMin = Infinity;
    st.floor = 0;
    if (drop) {
      st.live = undefined;
      this.#last = undefined;
      this.#dirty.delete(st);
      this.#states.delete(`${topic}\0${group}`);
    }
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

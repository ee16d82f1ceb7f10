// Delivery for the engines that keep events themselves (engine.ts): consumer groups and their
// members, ephemeral readers, acknowledgements, redelivery after ackTimeout, dead letters. A
// group's state is in memory (loaded from the log at start) and every change is journaled to the
// log. Invariants: a group's pending deliveries are keyed in offset order (new ones are always past
// the others), so its position is the first pending offset - 1, or next - 1 when none is pending;
// a member never holds more than maxInFlight unsettled deliveries; one timer per group (unref'd)
// fires at its earliest deadline. Pumps are coalesced per microtask, so a burst of publishes or
// acks fetches one batch.
import { EVENTS_LIMITS, type Delivery, type GroupInfo, type StartAt } from './events.ts';
import { Inbox } from './inbox.ts';
import type { EventLog, GroupRow, LogRow, PendingRow } from './log.ts';
import { checkDelay, type CheckedEvent, type CheckedSubscribe } from './validate.ts';

interface Member {
  inbox: Inbox;
  inFlight: number;
  maxInFlight: number;
}
interface Pending extends PendingRow {
  member: Member | undefined;
}
interface Group extends GroupRow {
  pending: Map<number, Pending>;
  members: Member[];
  waiting: number;
  timer: NodeJS.Timeout | undefined;
  timerAt: number;
  turn: number;
}
interface Reader {
  topic: string;
  next: number;
  inbox: Inbox;
  maxInFlight: number;
  full: boolean;
}
interface Topic {
  groups: Map<string, Group>;
  readers: Set<Reader>;
}

/** Why an event was dead-lettered (metadata `micro-dead-reason`). */
export type DeadReason = 'timeout' | 'nack';

/** Groups and readers of the topics of one log. */
export class Dispatcher {
  readonly #log: EventLog;
  readonly #publish: (topic: string, events: CheckedEvent[]) => void;
  readonly #topics = new Map<string, Topic>();
  readonly #dirty = new Set<Group | Reader>();
  #scheduled = false;

  /** `publish` stores dead letters at once (and wakes their readers). */
  constructor(log: EventLog, publish: (topic: string, events: CheckedEvent[]) => void) {
    this.#log = log;
    this.#publish = publish;
    for (const { group, pending } of log.loadGroups()) {
      const g = this.#add(group);
      for (const p of pending) {
        g.pending.set(p.offset, { ...p, member: undefined });
        if (p.waiting) g.waiting++;
        this.#arm(g, p.deadline);
      }
    }
  }

  /** The first offset a reader starting at `start` gets. */
  start(topic: string, start: StartAt): number {
    const t = this.#log.topic(topic);
    const last = t?.last ?? 0;
    if (start === 'latest') return last + 1;
    if (start === 'earliest') return t && t.count > 0 ? t.first : last + 1;
    if ('offset' in start) return start.offset;
    return this.#log.offsetAt(topic, start.time);
  }

  /** A new subscriber: a member of its group, or an ephemeral reader. */
  join(topic: string, o: CheckedSubscribe): Inbox {
    if (o.group === undefined) {
      const reader: Reader = {
        topic,
        next: this.start(topic, o.start),
        maxInFlight: o.maxInFlight,
        full: false,
      } as Reader;
      const t = this.#topic(topic);
      reader.inbox = new Inbox(
        () => {
          if (reader.full && reader.inbox.backlog <= reader.maxInFlight / 2) this.#schedule(reader);
        },
        () => t.readers.delete(reader),
      );
      t.readers.add(reader);
      this.#schedule(reader);
      return reader.inbox;
    }
    const g = this.#group(topic, o.group, o.start);
    g.ackTimeout = o.ackTimeout;
    g.maxDeliveries = o.maxDeliveries;
    g.deadLetter = o.deadLetter;
    this.#save(g);
    const member: Member = { inFlight: 0, maxInFlight: o.maxInFlight } as Member;
    member.inbox = new Inbox(
      () => undefined,
      () => {
        const i = g.members.indexOf(member);
        if (i >= 0) g.members.splice(i, 1);
        if (g.members.length === 0) g.timer?.unref();
      },
    );
    g.members.push(member);
    g.timer?.ref();
    this.#schedule(g);
    return member.inbox;
  }

  /** Wakes the readers and groups of a topic just published to. */
  published(topic: string): void {
    const t = this.#topics.get(topic);
    if (!t) return;
    for (const g of t.groups.values()) if (g.members.length > 0) this.#schedule(g);
    for (const r of t.readers) this.#schedule(r);
  }

  /** Moves a group (made if missing) to `start`, forgetting its pending deliveries. */
  seek(topic: string, group: string, start: StartAt): GroupInfo {
    const g = this.#group(topic, group, start);
    for (const p of g.pending.values()) if (p.member) p.member.inFlight--;
    g.pending.clear();
    g.waiting = 0;
    this.#log.clearPending(topic, group);
    g.next = this.start(topic, start);
    this.#save(g);
    this.#schedule(g);
    return this.info(g);
  }

  /** Removes a group, ending its members' subscriptions; false when there was none. */
  remove(topic: string, group: string): boolean {
    const g = this.#topics.get(topic)?.groups.get(group);
    if (!g) return false;
    for (const m of [...g.members]) m.inbox.close();
    clearTimeout(g.timer);
    this.#topics.get(topic)!.groups.delete(group);
    this.#log.dropGroup(topic, group);
    return true;
  }

  /** The groups of one topic or all, in topic then name order, at most a batch. */
  list(topic?: string): GroupInfo[] {
    const names = topic === undefined ? [...this.#topics.keys()].sort() : [topic];
    const out: GroupInfo[] = [];
    for (const name of names) {
      const groups = [...(this.#topics.get(name)?.groups.values() ?? [])];
      groups.sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
      for (const g of groups) if (out.push(this.info(g)) >= EVENTS_LIMITS.batch) return out;
    }
    return out;
  }

  /** A group as listed. */
  info(g: Group): GroupInfo {
    const t = this.#log.topic(g.topic);
    const last = t?.last ?? 0;
    const first = t && t.count > 0 ? t.first : last + 1;
    const head = g.pending.keys().next();
    const position = head.done ? g.next - 1 : head.value - 1;
    return {
      topic: g.topic,
      group: g.group,
      position,
      pending: g.pending.size,
      lag: Math.max(0, last - Math.max(position, first - 1)),
      members: g.members.length,
      deadLettered: g.deadLettered,
      ackTimeout: g.ackTimeout,
      maxDeliveries: g.maxDeliveries,
      deadLetter: g.deadLetter,
    };
  }

  /** Ends every subscription and timer. */
  close(): void {
    for (const t of this.#topics.values()) {
      for (const g of t.groups.values()) {
        clearTimeout(g.timer);
        for (const m of [...g.members]) m.inbox.close();
      }
      for (const r of [...t.readers]) r.inbox.close();
    }
  }

  #topic(topic: string): Topic {
    let t = this.#topics.get(topic);
    if (!t) this.#topics.set(topic, (t = { groups: new Map(), readers: new Set() }));
    return t;
  }

  #add(row: GroupRow): Group {
    const g: Group = {
      ...row,
      pending: new Map(),
      members: [],
      waiting: 0,
      timer: undefined,
      timerAt: Infinity,
      turn: 0,
    };
    this.#topic(row.topic).groups.set(row.group, g);
    return g;
  }

  #group(topic: string, group: string, start: StartAt): Group {
    const found = this.#topics.get(topic)?.groups.get(group);
    if (found) return found;
    this.#log.ensure(topic);
    const L = EVENTS_LIMITS;
    const g = this.#add({
      topic,
      group,
      next: this.start(topic, start),
      deadLettered: 0,
      ackTimeout: L.ackTimeout.default,
      maxDeliveries: L.maxDeliveries.default,
      deadLetter: `${topic}.dead`,
    });
    this.#save(g);
    return g;
  }

  #save(g: Group): void {
    const { topic, group, next, deadLettered, ackTimeout, maxDeliveries, deadLetter } = g;
    this.#log.saveGroup({
      topic,
      group,
      next,
      deadLettered,
      ackTimeout,
      maxDeliveries,
      deadLetter,
    });
  }

  #schedule(target: Group | Reader): void {
    this.#dirty.add(target);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      const targets = [...this.#dirty];
      this.#dirty.clear();
      for (const x of targets)
        if ('members' in x) this.#pump(x);
        else this.#feed(x);
    });
  }

  #arm(g: Group, at: number): void {
    if (at >= g.timerAt) return;
    clearTimeout(g.timer);
    g.timerAt = at;
    g.timer = setTimeout(() => this.#expire(g), Math.max(0, at - Date.now()));
    // A member waiting for a redelivery keeps the process alive, as a socket would.
    if (g.members.length === 0) g.timer.unref();
  }

  #expire(g: Group): void {
    g.timer = undefined;
    g.timerAt = Infinity;
    if (this.#topics.get(g.topic)?.groups.get(g.group) !== g) return;
    const now = Date.now();
    let next = Infinity;
    for (const [offset, p] of g.pending) {
      if (p.deadline > now) next = Math.min(next, p.deadline);
      else if (!p.waiting) this.#fail(g, offset, p, 'timeout', 0, now);
    }
    if (next < Infinity) this.#arm(g, next);
    this.#schedule(g);
  }

  /** A delivery failed (timed out or nacked): deliver it again after `delay`, or dead-letter it. */
  #fail(
    g: Group,
    offset: number,
    p: Pending,
    reason: DeadReason,
    delay: number,
    now: number,
  ): void {
    if (p.member) p.member.inFlight--;
    p.member = undefined;
    if (p.attempt >= g.maxDeliveries) return this.#dead(g, offset, p, reason);
    p.waiting = true;
    p.deadline = now + delay;
    g.waiting++;
    this.#log.savePending(g.topic, g.group, offset, p);
    if (delay > 0) this.#arm(g, p.deadline);
  }

  #dead(g: Group, offset: number, p: Pending, reason: DeadReason): void {
    this.#settle(g, offset, p);
    const row = this.#log.rows(g.topic, offset, 1)[0];
    if (row?.offset !== offset) return;
    const metadata = row.metadata ? (JSON.parse(row.metadata) as Record<string, string>) : {};
    metadata['micro-dead-topic'] = g.topic;
    metadata['micro-dead-offset'] = String(offset);
    metadata['micro-dead-group'] = g.group;
    metadata['micro-dead-reason'] = reason;
    this.#publish(g.deadLetter, [{ json: row.data, metadata }]);
    g.deadLettered++;
    this.#save(g);
  }

  #settle(g: Group, offset: number, p: Pending): void {
    if (p.member) p.member.inFlight--;
    if (p.waiting) g.waiting--;
    g.pending.delete(offset);
    this.#log.savePending(g.topic, g.group, offset, undefined);
  }

  /** Acknowledges offsets of a group (unknown ones ignored); resolves once durable. */
  ack(g: Group, offsets: number[]): Promise<void> {
    for (const offset of offsets) {
      const p = g.pending.get(offset);
      if (p) this.#settle(g, offset, p);
    }
    if (g.members.length > 0) this.#schedule(g);
    return this.#log.flush();
  }

  /** Fails offsets of a group now: delivered again after `delay` ms, or dead-lettered. */
  nack(g: Group, offsets: number[], delay: number): Promise<void> {
    const now = Date.now();
    for (const offset of offsets) {
      const p = g.pending.get(offset);
      if (p && !p.waiting) this.#fail(g, offset, p, 'nack', delay, now);
    }
    this.#schedule(g);
    return this.#log.flush();
  }

  #feed(r: Reader): void {
    if (r.inbox.closed) return;
    const room = r.maxInFlight - r.inbox.backlog;
    r.full = room <= 0;
    if (room <= 0) return;
    const rows = this.#log.rows(r.topic, r.next, Math.min(room, EVENTS_LIMITS.batch));
    if (rows.length === 0) return;
    r.next = rows.at(-1)!.offset + 1;
    r.full = rows.length >= room;
    r.inbox.push(rows.map((row) => this.#delivery(r.topic, row, 1, undefined)));
  }

  #pump(g: Group): void {
    const ms = g.members.filter((m) => m.inFlight < m.maxInFlight);
    let room = 0;
    for (const m of ms) room += m.maxInFlight - m.inFlight;
    if (room === 0) return;
    const now = Date.now();
    const items: { row: LogRow; p?: Pending }[] = [];
    if (g.waiting > 0)
      for (const [offset, p] of g.pending) {
        if (items.length >= room) break;
        if (!p.waiting || p.deadline > now) continue;
        const row = this.#log.rows(g.topic, offset, 1)[0];
        if (row?.offset === offset) items.push({ row, p });
        else this.#settle(g, offset, p); // retention cut it: nothing to deliver
      }
    if (items.length < room) {
      const limit = Math.min(room - items.length, EVENTS_LIMITS.batch);
      const rows = this.#log.rows(g.topic, g.next, limit);
      for (const row of rows) items.push({ row });
      if (rows.length > 0) {
        g.next = rows.at(-1)!.offset + 1;
        this.#save(g);
      }
    }
    if (items.length === 0) return;
    const batches: Delivery[][] = ms.map(() => []);
    let i = g.turn++;
    const deadline = now + g.ackTimeout;
    for (const { row, p } of items) {
      while (ms[i % ms.length]!.inFlight >= ms[i % ms.length]!.maxInFlight) i++;
      const k = i++ % ms.length;
      const member = ms[k]!;
      member.inFlight++;
      let entry = p;
      if (entry) {
        entry.attempt++;
        entry.waiting = false;
        g.waiting--;
        entry.deadline = deadline;
        entry.member = member;
      } else {
        entry = { offset: row.offset, attempt: 1, deadline, waiting: false, member };
        g.pending.set(row.offset, entry);
      }
      this.#log.savePending(g.topic, g.group, row.offset, entry);
      batches[k]!.push(this.#delivery(g.topic, row, entry.attempt, g));
    }
    ms.forEach((m, k) => m.inbox.push(batches[k]!));
    this.#arm(g, deadline);
  }

  #delivery(topic: string, row: LogRow, attempt: number, g: Group | undefined): Delivery {
    const offset = row.offset;
    const d = { topic, offset, id: row.id } as Delivery;
    if (row.key !== null) d.key = row.key;
    d.time = row.time;
    d.metadata = row.metadata ? (JSON.parse(row.metadata) as Record<string, string>) : {};
    d.data = JSON.parse(row.data) as unknown;
    d.attempt = attempt;
    d.ack = g ? () => this.ack(g, [offset]) : async () => undefined;
    d.nack = g
      ? async (delay?: number) => this.nack(g, [offset], checkDelay(delay))
      : async (delay?: number) => void checkDelay(delay);
    return d;
  }
}

// Delivery for the engines that keep events themselves (engine.ts): the consumer groups
// (group.ts) and ephemeral readers of each topic, fed from the log. A delivery round fetches one
// batch of new events (and the failed ones due again, first) for all of a group's members with room,
// dealt round-robin, so a member never holds more than maxInFlight unsettled deliveries. Rounds
// are coalesced per turn of the event loop: a burst of publishes or acks costs one fetch.
import { EVENTS_LIMITS, type Delivery, type GroupInfo, type StartAt } from './events.ts';
import { Group, type GroupHost, type Member, type Pending } from './group.ts';
import { Inbox } from './inbox.ts';
import { JSON_CHARS, type EventLog, type LogRow } from './log.ts';
import { checkDelay, pastEnd, type CheckedEvent, type CheckedSubscribe } from './validate.ts';

interface Reader {
  topic: string;
  next: number;
  inbox: Inbox;
  maxInFlight: number;
  /** It had no room at its last round: reading frees some. */
  full: boolean;
}
interface Topic {
  groups: Map<string, Group>;
  readers: Set<Reader>;
}

/** Groups and readers of the topics of one log. */
export class Dispatcher {
  readonly #log: EventLog;
  readonly #host: GroupHost;
  readonly #topics = new Map<string, Topic>();
  readonly #dirty = new Set<Group | Reader>();
  #scheduled = false;

  /** `publish` stores dead letters at once (and wakes their readers). */
  constructor(log: EventLog, publish: (topic: string, events: CheckedEvent[]) => void) {
    this.#log = log;
    this.#host = { log, publish, wake: (g) => this.#schedule(g) };
    for (const { group, pending } of log.loadGroups()) {
      const g = this.#add(new Group(group, this.#host));
      for (const p of pending) {
        g.pending.set(p.offset, { ...p, member: undefined });
        if (p.waiting) g.waiting++;
        g.arm(p.deadline);
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
      const t = this.#topic(topic);
      const r = { topic, next: this.start(topic, o.start), maxInFlight: o.maxInFlight } as Reader;
      r.full = false;
      r.inbox = new Inbox(
        () => {
          if (r.full && r.inbox.backlog <= r.maxInFlight / 2) this.#schedule(r);
        },
        () => t.readers.delete(r),
      );
      t.readers.add(r);
      this.#schedule(r);
      return r.inbox;
    }
    const g = this.#group(topic, o.group, o.start);
    g.ackTimeout = o.ackTimeout;
    g.maxDeliveries = o.maxDeliveries;
    g.deadLetter = o.deadLetter;
    g.save();
    const member = { inFlight: 0, maxInFlight: o.maxInFlight } as Member;
    member.inbox = new Inbox(
      () => undefined,
      () => g.leave(member),
    );
    g.join(member);
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

  /** The group, if there is one. */
  find(topic: string, group: string): Group | undefined {
    return this.#topics.get(topic)?.groups.get(group);
  }

  /** Moves a group (made if missing) to `start`, forgetting its pending deliveries. */
  seek(topic: string, group: string, start: StartAt): GroupInfo {
    pastEnd(topic, this.#log.topic(topic)?.last ?? 0, start);
    const g = this.#group(topic, group, start);
    g.clear();
    g.next = this.start(topic, start);
    g.save();
    this.#schedule(g);
    return g.info(this.#log.topic(topic));
  }

  /** Removes a group, ending its members' subscriptions; false when there was none. */
  remove(topic: string, group: string): boolean {
    const g = this.#topics.get(topic)?.groups.get(group);
    if (!g) return false;
    g.close();
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
      const t = this.#log.topic(name);
      for (const g of groups) if (out.push(g.info(t)) >= EVENTS_LIMITS.batch) return out;
    }
    return out;
  }

  /** Ends every subscription and timer. */
  close(): void {
    for (const t of this.#topics.values()) {
      for (const g of t.groups.values()) g.close();
      for (const r of [...t.readers]) r.inbox.close();
    }
  }

  #topic(topic: string): Topic {
    let t = this.#topics.get(topic);
    if (!t) this.#topics.set(topic, (t = { groups: new Map(), readers: new Set() }));
    return t;
  }

  #add(g: Group): Group {
    this.#topic(g.topic).groups.set(g.group, g);
    return g;
  }

  #group(topic: string, group: string, start: StartAt): Group {
    const found = this.#topics.get(topic)?.groups.get(group);
    if (found) return found;
    this.#log.ensure(topic);
    const L = EVENTS_LIMITS;
    const g = new Group(
      {
        topic,
        group,
        next: this.start(topic, start),
        deadLettered: 0,
        ackTimeout: L.ackTimeout.default,
        maxDeliveries: L.maxDeliveries.default,
        deadLetter: `${topic}.dead`,
      },
      this.#host,
    );
    g.save();
    return this.#add(g);
  }

  #schedule(target: Group | Reader): void {
    this.#dirty.add(target);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const targets = [...this.#dirty];
      this.#dirty.clear();
      for (const x of targets)
        if (x instanceof Group) this.#pump(x);
        else this.#feed(x);
    });
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
    if (rows.capped) this.#schedule(r);
  }

  #pump(g: Group): void {
    if (this.#topics.get(g.topic)?.groups.get(g.group) !== g) return;
    const ms = g.members.filter((m) => m.inFlight < m.maxInFlight);
    let room = 0;
    for (const m of ms) room += m.maxInFlight - m.inFlight;
    if (room === 0) return;
    const now = Date.now();
    const items: { row: LogRow; p?: Pending }[] = [];
    let capped = false;
    if (g.waiting > 0)
      for (const [offset, p] of g.pending) {
        if (items.length >= room) break;
        if (!p.waiting || p.deadline > now) continue;
        const row = this.#log.rows(g.topic, offset, 1)[0];
        if (row?.offset === offset) items.push({ row, p });
        else {
          g.settle(offset, p); // retention cut it: nothing to deliver
          g.save();
        }
      }
    if (items.length < room) {
      const limit = Math.min(room - items.length, EVENTS_LIMITS.batch);
      const rows = this.#log.rows(g.topic, g.next, limit);
      for (const row of rows) items.push({ row });
      capped = rows.capped === true;
      if (rows.length > 0) {
        g.next = rows.at(-1)!.offset + 1;
        g.save();
      }
    }
    if (items.length === 0) return;
    const batches: Delivery[][] = ms.map(() => []);
    let i = g.turn++;
    const deadline = now + g.ackTimeout;
    if (deadline > g.deadline) g.deadline = deadline;
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
      g.savePending(row.offset, entry);
      batches[k]!.push(this.#delivery(g.topic, row, entry.attempt, g));
    }
    ms.forEach((m, k) => m.inbox.push(batches[k]!));
    g.arm(deadline);
    if (capped) this.#schedule(g);
  }

  #delivery(topic: string, row: LogRow, attempt: number, g: Group | undefined): Delivery {
    const offset = row.offset;
    const d = { topic, offset, id: row.id } as Delivery;
    if (row.key !== null) d.key = row.key;
    d.time = row.time;
    d.metadata = row.metadata ? (JSON.parse(row.metadata) as Record<string, string>) : {};
    d.data = JSON.parse(row.data) as unknown;
    d.attempt = attempt;
    (d as Delivery & { [JSON_CHARS]: number })[JSON_CHARS] =
      row.data.length + (row.metadata?.length ?? 2);
    d.ack = g ? () => g.ack([offset]) : async () => undefined;
    d.nack = g
      ? async (delay?: number) => g.nack([offset], checkDelay(delay))
      : async (delay?: number) => void checkDelay(delay);
    return d;
  }
}

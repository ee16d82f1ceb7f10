// One consumer group of the engines that keep events themselves (dispatch.ts delivers to it): its
// pending deliveries, members, redelivery timer and dead letters. Its state is in memory (loaded
// from the log at start) and every change is journaled to the log. Invariants: pending deliveries
// are keyed in offset order (new ones are always past the others), so the position is the first
// pending offset - 1, or next - 1 when none is pending; one timer (at the earliest deadline) per
// group, unref'd unless a member waits on it.
import type { GroupInfo, TopicInfo } from './events.ts';
import type { Inbox } from './inbox.ts';
import type { EventLog, GroupRow, PendingRow } from './log.ts';
import type { CheckedEvent } from './validate.ts';

/** A subscriber of a group. */
export interface Member {
  inbox: Inbox;
  /** Deliveries it holds, not acknowledged, nacked or timed out. */
  inFlight: number;
  maxInFlight: number;
}

/** A delivery not acknowledged yet, and the member holding it (none once it failed). */
export interface Pending extends PendingRow {
  member: Member | undefined;
}

/** Why an event was dead-lettered (metadata `micro-dead-reason`). */
export type DeadReason = 'timeout' | 'nack';

/** What a group needs of its engine. */
export interface GroupHost {
  log: EventLog;
  /** Stores events at once (dead letters) and wakes their readers. */
  publish(topic: string, events: CheckedEvent[]): void;
  /** Asks for a delivery round: members have room, or events are due again. */
  wake(group: Group): void;
}

/** A consumer group of a topic. */
export class Group implements GroupRow {
  topic: string;
  group: string;
  next: number;
  deadLettered: number;
  ackTimeout: number;
  maxDeliveries: number;
  deadLetter: string;
  /** The latest deadline of the first deliveries (kept, so a restart knows when they are due). */
  deadline: number;
  readonly pending = new Map<number, Pending>();
  readonly members: Member[] = [];
  /** Pending deliveries that failed and wait to be delivered again. */
  waiting = 0;
  /** Which member a delivery round starts with. */
  turn = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #closed = false;
  readonly #host: GroupHost;

  constructor(row: Omit<GroupRow, 'floor' | 'deadline'> & { deadline?: number }, host: GroupHost) {
    this.topic = row.topic;
    this.group = row.group;
    this.next = row.next;
    this.deadLettered = row.deadLettered;
    this.ackTimeout = row.ackTimeout;
    this.maxDeliveries = row.maxDeliveries;
    this.deadLetter = row.deadLetter;
    this.deadline = row.deadline ?? 0;
    this.#host = host;
  }

  /** Every offset at or below it is acknowledged. */
  get position(): number {
    const head = this.pending.keys().next();
    return head.done ? this.next - 1 : head.value - 1;
  }

  /** The position, as the log keeps it. */
  get floor(): number {
    return this.position;
  }

  /** The group as listed, given its topic's state. */
  info(t: TopicInfo | undefined): GroupInfo {
    const last = t?.last ?? 0;
    const first = t && t.count > 0 ? t.first : last + 1;
    const position = this.position;
    return {
      topic: this.topic,
      group: this.group,
      position,
      pending: this.pending.size,
      lag: Math.max(0, last - Math.max(position, first - 1)),
      members: this.members.length,
      deadLettered: this.deadLettered,
      ackTimeout: this.ackTimeout,
      maxDeliveries: this.maxDeliveries,
      deadLetter: this.deadLetter,
    };
  }

  /** Journals the group's row (the log reads it when it writes). */
  save(): void {
    this.#host.log.saveGroup(this);
  }

  /** Adds a member (its timer then keeps the process alive). */
  join(member: Member): void {
    this.members.push(member);
    this.#timer?.ref();
  }

  /** Removes a member; its deliveries stay pending until their deadline. */
  leave(member: Member): void {
    const i = this.members.indexOf(member);
    if (i >= 0) this.members.splice(i, 1);
    if (this.members.length === 0) this.#timer?.unref();
  }

  /** Journals a pending delivery (just delivered, or changed). */
  savePending(offset: number, p: Pending): void {
    this.#host.log.savePending(this.topic, this.group, offset, p);
  }

  /** Forgets every pending delivery (a seek). */
  clear(): void {
    for (const p of this.pending.values()) if (p.member) p.member.inFlight--;
    this.pending.clear();
    this.waiting = 0;
    this.#host.log.clearPending(this.topic, this.group);
  }

  /** Ends its members and its timer; later acks and nacks do nothing (it was deleted, or its engine closed). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const m of [...this.members]) m.inbox.close();
  }

  /** Makes sure the timer fires by `at`. */
  arm(at: number): void {
    if (at >= this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, at - Date.now()));
    // A member waiting for a redelivery keeps the process alive, as a socket would.
    if (this.members.length === 0) this.#timer.unref();
  }

  #expire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [offset, p] of this.pending) {
      if (p.deadline > now) next = Math.min(next, p.deadline);
      else if (!p.waiting) this.#fail(offset, p, 'timeout', 0, now);
    }
    if (next < Infinity) this.arm(next);
    this.save();
    this.#host.wake(this);
  }

  /** Acknowledges offsets (unknown ones ignored); resolves once durable. */
  ack(offsets: number[]): Promise<void> {
    if (this.#closed) return Promise.resolve();
    for (const offset of offsets) {
      const p = this.pending.get(offset);
      if (p) this.settle(offset, p);
    }
    this.save();
    if (this.members.length > 0) this.#host.wake(this);
    return this.#host.log.flush();
  }

  /** Fails offsets now: delivered again after `delay` ms, or dead-lettered. */
  nack(offsets: number[], delay: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const now = Date.now();
    for (const offset of offsets) {
      const p = this.pending.get(offset);
      if (p && !p.waiting) this.#fail(offset, p, 'nack', delay, now);
    }
    this.#host.wake(this);
    return this.#host.log.flush();
  }

  /** Done with a pending delivery: acknowledged, dead-lettered, or cut by retention. */
  settle(offset: number, p: Pending): void {
    if (p.member) p.member.inFlight--;
    if (p.waiting) this.waiting--;
    this.pending.delete(offset);
    this.#host.log.savePending(this.topic, this.group, offset, undefined);
  }

  /** A delivery failed: deliver it again after `delay`, or dead-letter it past maxDeliveries. */
  #fail(offset: number, p: Pending, reason: DeadReason, delay: number, now: number): void {
    if (p.member) p.member.inFlight--;
    p.member = undefined;
    if (p.attempt >= this.maxDeliveries) return this.#dead(offset, p, reason);
    p.waiting = true;
    p.deadline = now + delay;
    this.waiting++;
    this.savePending(offset, p);
    if (delay > 0) this.arm(p.deadline);
  }

  #dead(offset: number, p: Pending, reason: DeadReason): void {
    this.settle(offset, p);
    const row = this.#host.log.rows(this.topic, offset, 1)[0];
    if (row?.offset !== offset) return;
    const metadata = row.metadata ? (JSON.parse(row.metadata) as Record<string, string>) : {};
    metadata['micro-dead-topic'] = this.topic;
    metadata['micro-dead-offset'] = String(offset);
    metadata['micro-dead-group'] = this.group;
    metadata['micro-dead-reason'] = reason;
    this.#host.publish(this.deadLetter, [{ json: row.data, metadata }]);
    this.deadLettered++;
    this.save();
  }
}

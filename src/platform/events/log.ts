// What an engine that keeps events itself (memory, SQLite) stores: the log of each topic, its
// idempotency keys and retention, and the groups' positions and pending deliveries. engine.ts
// builds the whole Events interface on it (validation, group commit, delivery, redelivery, dead
// letters), so those engines differ only in where the bytes go. Calls are synchronous; a write to
// a group is journaled and durable once `flush()` resolves.
import type { Published, Retention, TopicInfo } from './events.ts';
import type { CheckedEvent, CheckedRead } from './validate.ts';

/** An event as the log holds it: data and metadata as JSON text. */
export interface LogRow {
  offset: number;
  id: string;
  key: string | null;
  time: number;
  /** JSON of the metadata, null when there is none. */
  metadata: string | null;
  data: string;
}

/**
 * Set by the engines that keep JSON text on the deliveries they make: the characters of the data's
 * and metadata's JSON, so that whoever sends a delivery on sizes it without encoding it again.
 */
export const JSON_CHARS: unique symbol = Symbol('micro.events.jsonChars');

/** A group's kept state, apart from its pending deliveries. */
export interface GroupRow {
  topic: string;
  group: string;
  /** The first offset never delivered to it. */
  next: number;
  deadLettered: number;
  ackTimeout: number;
  maxDeliveries: number;
  deadLetter: string;
  /** Every offset at or below it is settled (acknowledged, dead-lettered or cut). */
  readonly floor: number;
  /**
   * The latest deadline of the first deliveries: a pending delivery not kept as a row of its own
   * (first attempt, in flight) is due again by then.
   */
  deadline: number;
}

/** A delivery not acknowledged yet. */
export interface PendingRow {
  offset: number;
  /** Deliveries made so far. */
  attempt: number;
  /** In flight: when it times out; waiting: when it may be delivered again. */
  deadline: number;
  /** True when it failed and waits for its redelivery. */
  waiting: boolean;
}

/** Events published together: to one topic, stored all or none. */
export interface LogBatch {
  topic: string;
  events: CheckedEvent[];
}

/** The storage under engine.ts. */
export interface EventLog {
  /** The engine's name and address, as Events shows them. */
  readonly name: string;
  readonly address: string;
  /** Stores the batches in one transaction, each key once per topic; one result per event. */
  append(batches: LogBatch[], now: number): Published[][];
  /**
   * Up to `limit` events at or after `from`, in offset order; fewer only when no more are stored,
   * or when `capped` (the engine bounds the bytes of one fetch: ask again).
   */
  rows(topic: string, from: number, limit: number): LogRow[] & { capped?: boolean };
  /** A read's events, up to `limit + 1` (the last tells there is a next page). */
  read(topic: string, read: CheckedRead): LogRow[];
  /** A topic's state, undefined when it has never been used. */
  topic(topic: string): TopicInfo | undefined;
  /** Makes a topic known (a group subscribed to it) without events. */
  ensure(topic: string): void;
  /** Topics under `prefix` in name order. */
  topics(prefix: string, limit: number): TopicInfo[];
  /** The first offset stored at or after `time`; the next offset to come when none is. */
  offsetAt(topic: string, time: number): number;
  /** Sets a topic's retention and applies its count at once. */
  configure(topic: string, retention: Retention): void;
  /** Drops events past their topic's age and keys past the dedupe window. */
  trim(now: number): void;
  /** Every group with its pending deliveries (in offset order), as kept. */
  loadGroups(): { group: GroupRow; pending: PendingRow[] }[];
  /** Journals a group's state: the object itself, read when the journal is written. */
  saveGroup(group: GroupRow): void;
  /**
   * Journals one pending delivery (undefined: it is settled). An engine may keep only those past
   * their first attempt or waiting, and the settled ones above the group's floor: the others
   * follow from the group's floor, next and deadline.
   */
  savePending(topic: string, group: string, offset: number, pending: PendingRow | undefined): void;
  /** Journals the removal of a group's pending deliveries (a seek). */
  clearPending(topic: string, group: string): void;
  /** Journals the removal of a group. */
  dropGroup(topic: string, group: string): void;
  /** Resolves once everything journaled so far is durable. */
  flush(): Promise<void>;
  /** Writes what is journaled and lets go of the storage. */
  close(): void;
}

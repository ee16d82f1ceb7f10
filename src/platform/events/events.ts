// Events: durable, ordered topics (the seed's "event" and "platform events"). A publish is stored
// before it is acknowledged, under an offset that grows by one per topic; readers start from the
// latest, an offset or a time; consumer groups share a topic's events with acknowledgement,
// redelivery after a timeout and a dead-letter topic, and keep their position across restarts.
// One interface for every engine: memory (tests, one process), micro (the control plane's SQLite,
// the default), NATS JetStream and Redis streams.
//
// Guarantees every implementation keeps (the contract suite, test/conformance/events.case.ts,
// checks them): an acknowledged publish is durable as its engine is (SQLite: on disk, WAL) and is
// delivered to every group at least once; a publish with a `key` already stored on the topic is
// stored once (the second returns the first's offset with `duplicate: true`) for at least
// EVENTS_LIMITS.dedupeWindow ms; a topic's events are read and first delivered in offset order; a
// group's member gets no more than `maxInFlight` unacknowledged events; an event not acknowledged
// within `ackTimeout` (or nacked) is delivered again, to any member, and after `maxDeliveries`
// failed deliveries it is published to the dead-letter topic and counts as acknowledged.
//
// Limits (EVENTS_LIMITS): topic names are 1 to 255 of [A-Za-z0-9._-] with no empty segment between
// dots; topics under `micro.` are the platform's own (only the control plane publishes to them);
// group names 1 to 128 of [A-Za-z0-9._-]; data is JSON (as the store's values) of at most 1 MiB as
// JSON text; at most 64 metadata entries, names 1 to 128 of [A-Za-z0-9._-], values at most 4 KiB;
// a key 1 to 256 bytes of UTF-8; a batch or page at most 1,000 events. Anything past them is a 400
// naming the field, and nothing is stored.

/** An event as stored. */
export interface EventRecord {
  /** The topic it was published to. */
  topic: string;
  /** Its place on the topic: 1 for the first, one more for each next (gaps where retention cut). */
  offset: number;
  /** A unique id given at publish (a UUID), for logs and CloudEvents. */
  id: string;
  /** The idempotency key it was published with, if any. */
  key?: string;
  /** When it was stored, ms since the epoch. */
  time: number;
  /** The publisher's metadata (`micro-from` is the publishing service, when known). */
  metadata: Record<string, string>;
  /** The JSON value published. */
  data: unknown;
}

/** What a publish returns. */
export interface Published {
  /** The topic published to. */
  topic: string;
  /** The event's offset (the first's, for a duplicate). */
  offset: number;
  /** The event's id (the first's, for a duplicate). */
  id: string;
  /** When it was stored (the first's, for a duplicate). */
  time: number;
  /** True when an event with this key was already stored: nothing new was. */
  duplicate: boolean;
}

/** One event of a publish. */
export interface EventInput {
  /** The JSON value. */
  data: unknown;
  /** Idempotency key: a publish retried with the same key is stored once. */
  key?: string;
  /** String metadata, carried to every reader. */
  metadata?: Record<string, string>;
}

/** Options of a single publish. */
export type PublishOptions = Omit<EventInput, 'data'>;

/**
 * Where a reader starts: `latest` (only events published after it subscribed; the default),
 * `earliest` (the oldest retained), an offset (that event and after), or a time (the first event
 * stored at or after it, ms since the epoch).
 */
export type StartAt =
  | 'latest'
  | 'earliest'
  | {
      /** This offset and after. */
      offset: number;
    }
  | {
      /** The first event stored at or after this time, ms since the epoch. */
      time: number;
    };

/** Options of a subscription. */
export interface EventSubscribeOptions {
  /**
   * A consumer group: its members share the topic's events (each event to one member), acknowledge
   * them, and the group's position is kept across restarts. Without one, the subscription is
   * ephemeral: every event from `start`, nothing to acknowledge, nothing kept.
   */
  group?: string;
  /** Where a new group or an ephemeral subscription starts; an existing group keeps its position. */
  start?: StartAt;
  /** Ms an unacknowledged delivery waits before it is delivered again (default 30,000; 100 to 3,600,000). */
  ackTimeout?: number;
  /** Deliveries before an event goes to the dead-letter topic (default 5; 1 to 100). */
  maxDeliveries?: number;
  /** The dead-letter topic (default `<topic>.dead`). */
  deadLetter?: string;
  /** Unacknowledged deliveries this member holds at most (default 100; 1 to 1,000). */
  maxInFlight?: number;
}

/** One delivery of an event to a subscriber. */
export interface Delivery extends EventRecord {
  /** 1 on the first delivery, one more on each redelivery. */
  attempt: number;
  /** Done with it: it is not delivered to this group again. A no-op without a group. */
  ack(): Promise<void>;
  /** Failed: deliver it again after `delay` ms (default 0), or dead-letter it past maxDeliveries. */
  nack(delay?: number): Promise<void>;
}

/** A live subscription: iterate its deliveries; stop it when done. */
export interface EventSubscription extends AsyncIterable<Delivery> {
  /** The topic subscribed to. */
  readonly topic: string;
  /** The group, when in one. */
  readonly group: string | undefined;
  /** Ends the subscription: iteration ends; unacknowledged deliveries go to other members after their timeout. */
  stop(): Promise<void>;
}

/** Options of a read (a replay of a range), inclusive at both ends. */
export interface ReadOptions {
  /** First offset (default: the oldest retained). */
  from?: number;
  /** Last offset. */
  to?: number;
  /** Only events stored at or after this time (ms since the epoch). */
  since?: number;
  /** Only events stored at or before this time. */
  until?: number;
  /** Events per page (1 to 1,000; default 100). */
  limit?: number;
}

/** One page of a read, in offset order. */
export interface EventPage {
  /** The events of this page. */
  events: EventRecord[];
  /** Give it as `from` for the next page; absent on the last. */
  next?: number;
}

/** How long a topic keeps its events. */
export interface Retention {
  /** Ms an event is kept (default 7 days). */
  maxAge?: number;
  /** Events the topic keeps at most, the oldest dropped first (default 1,000,000). */
  maxCount?: number;
}

/** A topic, as listed. */
export interface TopicInfo {
  /** Its name. */
  topic: string;
  /** The oldest retained offset (0 when empty). */
  first: number;
  /** The newest offset (0 when nothing was ever published). */
  last: number;
  /** Events retained. */
  count: number;
  /** When the newest was stored, ms since the epoch (0 when none). */
  lastTime: number;
  /** Its retention. */
  retention: Required<Retention>;
}

/** A consumer group of a topic, as listed. */
export interface GroupInfo {
  /** The topic. */
  topic: string;
  /** The group's name. */
  group: string;
  /** Every event at or below this offset is acknowledged. */
  position: number;
  /** Events delivered and not yet acknowledged. */
  pending: number;
  /** Events published past the position (including pending). */
  lag: number;
  /** Members subscribed now (engines that cannot tell give 0). */
  members: number;
  /** Events this group sent to its dead-letter topic. */
  deadLettered: number;
  /** Its options (ackTimeout, maxDeliveries, deadLetter) as last subscribed. */
  ackTimeout: number;
  /** Deliveries before dead-lettering. */
  maxDeliveries: number;
  /** Its dead-letter topic. */
  deadLetter: string;
}

/** Durable, ordered topics with consumer groups. */
export interface Events {
  /** The implementation's name: memory, micro, jetstream, redis. */
  readonly name: string;
  /** Where its server is, for messages. */
  readonly address: string;
  /** Stores one event; resolves once it is durable. */
  publish(topic: string, data: unknown, options?: PublishOptions): Promise<Published>;
  /** Stores several events on one topic, in order, all or none; one result each. */
  publishMany(topic: string, events: EventInput[]): Promise<Published[]>;
  /** Starts delivering; resolves once live (so `latest` means after this resolved). */
  subscribe(topic: string, options?: EventSubscribeOptions): Promise<EventSubscription>;
  /** One page of a topic's retained events (a replay of a range). */
  read(topic: string, options?: ReadOptions): Promise<EventPage>;
  /** The topics with events or groups, in name order, at most 1,000, optionally under a prefix. */
  topics(prefix?: string): Promise<TopicInfo[]>;
  /** The consumer groups, of one topic or all, at most 1,000. */
  groups(topic?: string): Promise<GroupInfo[]>;
  /** Moves a group's position (replay or skip): the next delivery is the first event at `start`. */
  seek(topic: string, group: string, start: StartAt): Promise<GroupInfo>;
  /** Removes a group and its position; false when there was none. */
  deleteGroup(topic: string, group: string): Promise<boolean>;
  /** Sets a topic's retention (applied from now on, and to what is stored at the next trim). */
  configure(topic: string, retention: Retention): Promise<TopicInfo>;
  /** Releases connections and timers; subscriptions end. */
  close(): Promise<void>;
}

/** Bounds of what events take; past them a 400 naming the field. */
export const EVENTS_LIMITS = {
  /** Characters in a topic name. */
  topicLength: 255,
  /** Characters in a group or metadata name. */
  nameLength: 128,
  /** Bytes of data as JSON text. */
  dataBytes: 1024 * 1024,
  /** JSON nesting depth of data. */
  depth: 100,
  /** Metadata entries per event. */
  metadataEntries: 64,
  /** Bytes of one metadata value. */
  metadataValueBytes: 4096,
  /** Bytes of UTF-8 in a key. */
  keyBytes: 256,
  /** Events per publishMany, read page or delivery batch. */
  batch: 1000,
  /** Ms a key is remembered at least (10 minutes). */
  dedupeWindow: 10 * 60_000,
  /** Default and bounds of a subscription's options. */
  ackTimeout: { default: 30_000, min: 100, max: 3_600_000 },
  /** Deliveries before dead-lettering. */
  maxDeliveries: { default: 5, min: 1, max: 100 },
  /** Unacknowledged deliveries per member. */
  maxInFlight: { default: 100, min: 1, max: 1000 },
  /** Default retention. */
  retention: { maxAge: 7 * 24 * 3_600_000, maxCount: 1_000_000 },
} as const;

/** The prefix of the platform's own topics (service up and down, config changes...). */
export const PLATFORM_TOPIC_PREFIX = 'micro.';

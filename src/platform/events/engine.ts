// The Events interface over an EventLog (memory.ts, sqlite.ts): validation, group commit of
// publishes, delivery (dispatch.ts), reads, retention trims. Publishes made in one turn of the
// event loop are stored together in one log transaction (group commit) and resolve once it is
// written; subscribers in this process are woken by the publish itself, never by polling. Timers
// (retention trims, redelivery deadlines) are unref'd: they never keep a process alive.
import { serviceUnavailable } from '../../runtime/errors.ts';
import type { EventPage, EventRecord, Events, Published } from './events.ts';
import { Dispatcher } from './dispatch.ts';
import type { EventLog, LogBatch, LogRow } from './log.ts';
import {
  checkEvent,
  checkEvents,
  checkName,
  checkPrefix,
  checkRead,
  checkRetention,
  checkStart,
  checkSubscribe,
  checkTopic,
  EVENTS_ID,
} from './validate.ts';

/** Options of the engines built on a log. */
export interface LogEventsOptions {
  /** Ms between retention trims (default 1,000). */
  trimInterval?: number;
}

interface Queued extends LogBatch {
  resolve(published: Published[]): void;
  reject(err: unknown): void;
}

/** The event as readers get it. */
export function recordOf(topic: string, row: LogRow): EventRecord {
  const e = { topic, offset: row.offset, id: row.id } as EventRecord;
  if (row.key !== null) e.key = row.key;
  e.time = row.time;
  e.metadata = row.metadata ? (JSON.parse(row.metadata) as Record<string, string>) : {};
  e.data = JSON.parse(row.data) as unknown;
  return e;
}

/** Events kept by `log`. */
export function createLogEvents(log: EventLog, options: LogEventsOptions = {}): Events {
  let closed = false;
  let queue: Queued[] = [];
  let writing: Promise<void> | undefined;
  const dispatcher = new Dispatcher(log, (topic, events) => {
    log.append([{ topic, events }], Date.now());
    dispatcher.published(topic);
  });
  const open = (): void => {
    if (closed) throw serviceUnavailable(EVENTS_ID, `the ${log.name} events are closed`);
  };
  // Everything queued in this turn, in one transaction; a failing batch is retried alone so it
  // fails by itself.
  const write = (): void => {
    writing = undefined;
    const batches = queue;
    queue = [];
    if (batches.length === 0) return;
    const now = Date.now();
    let results: Published[][] | undefined;
    try {
      results = log.append(batches, now);
    } catch {
      results = undefined;
    }
    for (const [i, b] of batches.entries()) {
      try {
        b.resolve(results ? results[i]! : log.append([b], now)[0]!);
      } catch (err) {
        b.reject(err);
      }
    }
    for (const topic of new Set(batches.map((b) => b.topic))) dispatcher.published(topic);
  };
  const enqueue = (batch: LogBatch): Promise<Published[]> =>
    new Promise((resolve, reject) => {
      queue.push({ ...batch, resolve, reject });
      writing ??= new Promise((done) => setImmediate(() => done(write())));
    });
  const trimmer = setInterval(() => log.trim(Date.now()), options.trimInterval ?? 1000);
  trimmer.unref();

  return {
    name: log.name,
    address: log.address,
    async publish(topic, data, opts) {
      const t = checkTopic(topic);
      const event = checkEvent(data, opts);
      open();
      return (await enqueue({ topic: t, events: [event] }))[0]!;
    },
    async publishMany(topic, events) {
      const t = checkTopic(topic);
      const checked = checkEvents(events);
      open();
      if (checked.length === 0) return [];
      return enqueue({ topic: t, events: checked });
    },
    async subscribe(topic, opts) {
      const t = checkTopic(topic);
      const o = checkSubscribe(t, opts);
      open();
      await writing;
      const inbox = dispatcher.join(t, o);
      await log.flush();
      return inbox.subscription(t, o.group);
    },
    async read(topic, opts) {
      const t = checkTopic(topic);
      const r = checkRead(opts);
      open();
      const rows = log.read(t, r);
      const page: EventPage = { events: rows.slice(0, r.limit).map((row) => recordOf(t, row)) };
      if (rows.length > r.limit) page.next = rows[r.limit]!.offset;
      return page;
    },
    async topics(prefix) {
      const p = checkPrefix(prefix);
      open();
      return log.topics(p, 1000);
    },
    async groups(topic) {
      const t = topic === undefined ? undefined : checkTopic(topic);
      open();
      return dispatcher.list(t);
    },
    async seek(topic, group, start) {
      const t = checkTopic(topic);
      const g = checkName(group, 'group');
      const s = checkStart(start);
      open();
      await writing;
      const info = dispatcher.seek(t, g, s);
      await log.flush();
      return info;
    },
    async deleteGroup(topic, group) {
      const t = checkTopic(topic);
      const g = checkName(group, 'group');
      open();
      const deleted = dispatcher.remove(t, g);
      await log.flush();
      return deleted;
    },
    async configure(topic, retention) {
      const t = checkTopic(topic);
      const r = checkRetention(retention);
      open();
      await writing;
      log.configure(t, r);
      return log.topic(t)!;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(trimmer);
      await writing;
      dispatcher.close();
      await log.flush();
      log.close();
    },
  };
}

// The in-memory events: for tests and single-process programs, with the whole contract (groups,
// acknowledgement, redelivery, dead letters, keys, retention); everything is lost when the process
// ends. Events are kept as JSON text, so a caller changing what it published or was given changes
// nothing stored. Each topic's times never go backwards (a clock stepping back stores the last
// time again), so time lookups are binary searches.
import { randomUUID } from 'node:crypto';
import {
  EVENTS_LIMITS,
  type Events,
  type Published,
  type Retention,
  type TopicInfo,
} from './events.ts';
import { createLogEvents, type LogEventsOptions } from './engine.ts';
import type { EventLog, LogRow } from './log.ts';
import type { CheckedRead } from './validate.ts';

/** Options of the memory events. */
export type MemoryEventsOptions = LogEventsOptions;

interface Topic {
  name: string;
  rows: LogRow[];
  /** Offset of rows[0] when there are rows; last + 1 otherwise. */
  last: number;
  lastTime: number;
  retention: Required<Retention>;
  keys: Map<string, Published>;
}

/** First index in rows whose field is at least `value` (rows sorted by it). */
function search(rows: LogRow[], value: number, field: 'offset' | 'time'): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]![field] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The log of the memory engine. */
export function createMemoryLog(): EventLog {
  const topics = new Map<string, Topic>();
  const get = (name: string): Topic => {
    let t = topics.get(name);
    if (!t) {
      const retention = { ...EVENTS_LIMITS.retention };
      topics.set(name, (t = { name, rows: [], last: 0, lastTime: 0, retention, keys: new Map() }));
    }
    return t;
  };
  const info = (t: Topic): TopicInfo => ({
    topic: t.name,
    first: t.rows[0]?.offset ?? 0,
    last: t.last,
    count: t.rows.length,
    lastTime: t.lastTime,
    retention: { ...t.retention },
  });
  const cutCount = (t: Topic): void => {
    const over = t.rows.length - t.retention.maxCount;
    if (over > 0) t.rows.splice(0, over);
  };
  return {
    name: 'memory',
    address: 'memory',
    append(batches, now) {
      // Checked before anything is stored, so a batch is all or none.
      return batches.map(({ topic, events }) => {
        const t = get(topic);
        const results = events.map((e): Published => {
          const seen = e.key === undefined ? undefined : t.keys.get(e.key);
          if (seen) return { ...seen, duplicate: true };
          const time = Math.max(now, t.lastTime);
          const row: LogRow = {
            offset: ++t.last,
            id: randomUUID(),
            key: e.key ?? null,
            time,
            metadata: Object.keys(e.metadata).length > 0 ? JSON.stringify(e.metadata) : null,
            data: e.json,
          };
          t.rows.push(row);
          t.lastTime = time;
          const published = { topic, offset: row.offset, id: row.id, time, duplicate: false };
          if (e.key !== undefined) t.keys.set(e.key, published);
          return published;
        });
        cutCount(t);
        return results;
      });
    },
    rows(topic, from, limit) {
      const rows = topics.get(topic)?.rows ?? [];
      const i = search(rows, from, 'offset');
      return rows.slice(i, i + limit);
    },
    read(topic, r: CheckedRead) {
      const rows = topics.get(topic)?.rows ?? [];
      let i = search(rows, r.from ?? 0, 'offset');
      if (r.since !== undefined) i = Math.max(i, search(rows, r.since, 'time'));
      const out: LogRow[] = [];
      for (; i < rows.length && out.length <= r.limit; i++) {
        const row = rows[i]!;
        if (
          (r.to !== undefined && row.offset > r.to) ||
          (r.until !== undefined && row.time > r.until)
        )
          break;
        out.push(row);
      }
      return out;
    },
    topic: (name) => {
      const t = topics.get(name);
      return t && info(t);
    },
    ensure: (name) => void get(name),
    topics(prefix, limit) {
      const names = [...topics.keys()].filter((n) => n.startsWith(prefix)).sort();
      return names.slice(0, limit).map((n) => info(topics.get(n)!));
    },
    offsetAt(topic, time) {
      const t = topics.get(topic);
      if (!t) return 1;
      const i = search(t.rows, time, 'time');
      return t.rows[i]?.offset ?? t.last + 1;
    },
    configure(topic, retention) {
      const t = get(topic);
      Object.assign(t.retention, retention);
      cutCount(t);
    },
    trim(now) {
      for (const t of topics.values()) {
        const i = search(t.rows, now - t.retention.maxAge, 'time');
        if (i > 0) t.rows.splice(0, i);
        for (const [key, p] of t.keys) {
          if (p.time >= now - EVENTS_LIMITS.dedupeWindow) break;
          t.keys.delete(key);
        }
      }
    },
    loadGroups: () => [],
    saveGroup: () => undefined,
    savePending: () => undefined,
    clearPending: () => undefined,
    dropGroup: () => undefined,
    flush: () => Promise.resolve(),
    close: () => undefined,
  };
}

/** Events in this process's memory. */
export function createMemoryEvents(options: MemoryEventsOptions = {}): Events {
  return createLogEvents(createMemoryLog(), options);
}

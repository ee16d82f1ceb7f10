// Where the monitor keeps its status changes: the HistoryStore the tracker appends to and the
// Monitor's history() reads, its query's limits, and the in-memory store. Bounded: the oldest
// changes are dropped past `keep` (MICRO_MONITOR_KEEP, default 10,000).
import type { StatusChange } from './monitor.ts';

/** Changes kept by default (MICRO_MONITOR_KEEP). */
export const DEFAULT_KEEP = 10_000;
/** Changes a history query returns by default, and at most. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** A history query with its defaults filled in. */
export interface HistoryQuery {
  service?: string;
  node?: string;
  /** Changes at or after this time, ms since the epoch. */
  since?: number;
  limit: number;
}

/** Appends and reads status changes. */
export interface HistoryStore {
  /** Stores a change (its id given here, increasing) and drops the oldest past the bound. */
  append(change: Omit<StatusChange, 'id'>): StatusChange;
  /** Changes matching the query, newest first. */
  list(query: HistoryQuery): StatusChange[];
  /** Releases what it holds. */
  close(): void;
}

/** The limit a query asks for, within 1..MAX_LIMIT (DEFAULT_LIMIT when left out). */
export const limitOf = (limit: number | undefined): number =>
  limit === undefined ? DEFAULT_LIMIT : Math.min(Math.max(1, Math.floor(limit)), MAX_LIMIT);

/** True when the change matches the query's filters. */
export const matches = (c: StatusChange, q: HistoryQuery): boolean =>
  (q.service === undefined || c.service === q.service) &&
  (q.node === undefined || c.node === q.node) &&
  (q.since === undefined || c.time >= q.since);

/** Status changes in memory, the newest `keep` of them. */
export function memoryHistory(keep = DEFAULT_KEEP): HistoryStore {
  let changes: StatusChange[] = [];
  let next = 1;
  return {
    append(change) {
      const stored = { id: next++, ...change };
      changes.push(stored);
      // Trimmed in batches, so that a full history does not copy itself on every change.
      if (changes.length > keep + Math.ceil(keep / 10)) changes = changes.slice(-keep);
      return stored;
    },
    list(q) {
      const out: StatusChange[] = [];
      const oldest = Math.max(0, changes.length - keep);
      for (let i = changes.length - 1; i >= oldest && out.length < q.limit; i--) {
        const c = changes[i]!;
        if (matches(c, q)) out.push(c);
      }
      return out;
    },
    close() {
      changes = [];
    },
  };
}

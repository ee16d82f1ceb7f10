// Logs in this process only (tests, single-process programs): lines kept in arrays per service,
// bounded per service (`keep` lines, default 10,000) and in age (`maxAge` ms, default 7 days), the
// oldest dropped first. Lost when the process ends.
import { follow } from './follow.ts';
import type { LogQuery, LogRecord, Logs, LogSource } from './logs.ts';
import { checkQuery, checkRecords, matches } from './validate.ts';

/** Bounds of stored lines, shared by the memory and SQLite logs. */
export interface LogsBounds {
  /** Lines kept per service (default 10,000). */
  keep?: number;
  /** Ms a line is kept (default 7 days). */
  maxAge?: number;
}

/** Options of the in-memory logs. */
export type MemoryLogsOptions = LogsBounds;

/** The default bounds. */
export const LOGS_BOUNDS = { keep: 10_000, maxAge: 7 * 24 * 3600_000 } as const;

/** MICRO_LOG_KEEP (lines per service) and MICRO_LOG_MAX_AGE (ms); a bad value is a TypeError naming it. */
export function boundsFromEnv(env: NodeJS.ProcessEnv): Required<LogsBounds> {
  const whole = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new TypeError(`${name} must be a whole number above 0, not ${JSON.stringify(raw)}`);
    return n;
  };
  return {
    keep: whole('MICRO_LOG_KEEP', LOGS_BOUNDS.keep),
    maxAge: whole('MICRO_LOG_MAX_AGE', LOGS_BOUNDS.maxAge),
  };
}

/** Logs kept in this process. */
export function createMemoryLogs(options: MemoryLogsOptions = {}): Logs {
  const keep = options.keep ?? LOGS_BOUNDS.keep;
  const maxAge = options.maxAge ?? LOGS_BOUNDS.maxAge;
  const byService = new Map<string, LogRecord[]>();
  const listeners = new Set<() => void>();
  let next = 1;

  const all = (): LogRecord[] => [...byService.values()].flat().sort((a, b) => a.id! - b.id!);
  const prune = (): void => {
    const oldest = Date.now() - maxAge;
    for (const [service, lines] of byService) {
      let drop = Math.max(0, lines.length - keep);
      while (drop < lines.length && lines[drop]!.time < oldest) drop++;
      if (drop > 0) lines.splice(0, drop);
      if (lines.length === 0) byService.delete(service);
    }
  };
  const pick = (q: LogQuery & { limit: number }): LogRecord[] => {
    const source = q.service !== undefined ? (byService.get(q.service) ?? []) : all();
    const found = source.filter((r) => (q.after === undefined || r.id! > q.after) && matches(r, q));
    const page = q.after !== undefined ? found.slice(0, q.limit) : found.slice(-q.limit);
    return page.map((r) => structuredClone(r));
  };
  const store = {
    forward: async (q: LogQuery & { after: number; limit: number }) => pick(q),
    lastId: async () => next - 1,
    onWrite(fn: () => void) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };

  return {
    async write(records) {
      const checked = checkRecords(records);
      if (checked.length === 0) return;
      for (const r of checked) {
        const stored = structuredClone({ ...r, id: next++ });
        let lines = byService.get(r.service);
        if (!lines) byService.set(r.service, (lines = []));
        lines.push(stored);
      }
      prune();
      for (const fn of listeners) fn();
    },
    async read(query = {}) {
      return pick(checkQuery(query));
    },
    watch(query, signal) {
      const { limit: _limit, ...q } = checkQuery(query);
      return follow(store, q, signal);
    },
    async sources(): Promise<LogSource[]> {
      prune();
      return [...byService]
        .map(([service, lines]) => ({
          service,
          lines: lines.length,
          last: Math.max(...lines.map((l) => l.time)),
        }))
        .sort((a, b) => a.service.localeCompare(b.service));
    },
    async close() {
      listeners.clear();
    },
  };
}

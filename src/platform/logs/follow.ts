// Following new lines, shared by the stores: a watch reads forward from its last id each time the
// store says something was written, so it misses no line and sees none twice however writes and
// wake-ups interleave. Bounded: at most one page (1,000 lines) is held per watch at a time.
import type { LogQuery, LogRecord } from './logs.ts';
import { LOGS_LIMITS } from './validate.ts';

/** What a store gives follow(). */
export interface Followable {
  /** Lines matching after `query.after`, oldest first, at most `query.limit`. */
  forward(query: LogQuery & { after: number; limit: number }): Promise<LogRecord[]>;
  /** The highest id stored so far (0 when none). */
  lastId(): Promise<number>;
  /** Calls fn after each write; returns how to stop. */
  onWrite(fn: () => void): () => void;
}

/** The lines matching the query as they are stored, after `query.after` (else from now), until signal aborts. */
export async function* follow(
  store: Followable,
  query: LogQuery,
  signal: AbortSignal,
): AsyncGenerator<LogRecord> {
  let wake: (() => void) | undefined;
  let written = true;
  const stop = store.onWrite(() => {
    written = true;
    wake?.();
  });
  const abort = (): void => wake?.();
  signal.addEventListener('abort', abort);
  try {
    let cursor = query.after ?? (await store.lastId());
    const { limit: _limit, after: _after, ...filters } = query;
    while (!signal.aborted) {
      if (!written) {
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
        continue;
      }
      written = false;
      for (;;) {
        const page = await store.forward({
          ...filters,
          after: cursor,
          limit: LOGS_LIMITS.limit.max,
        });
        for (const r of page) {
          if (signal.aborted) return;
          cursor = Math.max(cursor, r.id ?? cursor);
          yield r;
        }
        if (page.length < LOGS_LIMITS.limit.max) break;
      }
    }
  } finally {
    stop();
    signal.removeEventListener('abort', abort);
  }
}

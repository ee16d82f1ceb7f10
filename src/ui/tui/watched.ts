// A value read from the registry and kept current, with how its last read went.

/** A value read from the registry, re-read or updated whenever a watch reports a change. */
export interface Watched<T> {
  value?: T;
  /** Why the last read failed; cleared by the next read that succeeds. */
  error?: string;
  loading: boolean;
}

/** What a list read from the registry shows instead of rows: loading, unreachable, or `empty` when it holds none. */
export function listStatus(list: Watched<unknown[]>, empty: string): string | undefined {
  if (list.loading) return 'loading…';
  if ((list.value ?? []).length > 0) return undefined;
  return list.error ? 'the registry cannot be reached; retrying' : empty;
}

// TEMPORARY, until trace-store's client lands: the Trace interface over the `trace` service's
// endpoints (CONTRACT: Trace.List, Trace.Get, Trace.Map), reading only.
import type { Trace } from '../../platform/trace/trace.ts';
import type { Client } from '../../runtime/client/client.ts';

/** A Trace that calls the `trace` service through the given client. */
export function traceFromEnv(_env: NodeJS.ProcessEnv, o: { client: Client }): Trace {
  const call = <T>(endpoint: string, request: unknown) =>
    o.client.call<T>('trace', `Trace.${endpoint}`, request, { timeout: 5000 });
  return {
    write: async (spans) => void (await call('Write', { spans })),
    list: async (query = {}) => (await call<{ traces: never[] }>('List', query)).traces,
    get: (id) => call('Get', { id }),
    map: (query = {}) => call('Map', query),
    close: async () => {},
  };
}

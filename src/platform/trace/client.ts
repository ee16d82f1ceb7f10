// The `micro` Trace: the control plane's `trace` service called over RPC (the default for services
// and the CLI). Spans are checked here first, so a bad batch is the same 400 without a call; a
// write is sent once, never retried (a retry could only add what is already replaced by id); reads
// are retried as any call. Guarantees and bounds are the service's (SQLite in micro.db).
import type { Client } from '../../runtime/client/client.ts';
import type { ServiceMap, Trace, TraceDetail, TraceSummary } from './trace.ts';
import { checkQuery, checkSpans, checkTraceId, checkWindow } from './validate.ts';

/** Options of the micro Trace. */
export interface MicroTraceOptions {
  /** The control plane's address (default 127.0.0.1:8000), used when no client is given. */
  address?: string;
  /** The client to call with (a service's own); default: a client of the control plane at `address`. */
  client?: Client;
  /** Ms each call may take (default 5000). */
  timeout?: number;
}

const SERVICE = 'trace';

/** A Trace calling the control plane's trace service. */
export function createMicroTrace(options: MicroTraceOptions = {}): Trace {
  const address = options.address ?? '127.0.0.1:8000';
  const timeout = options.timeout ?? 5000;
  let owned: Promise<Client> | undefined;
  const client = (): Promise<Client> =>
    options.client
      ? Promise.resolve(options.client)
      : (owned ??= (async () => {
          const [{ createClient }, { createMicroRegistry }] = await Promise.all([
            import('../../runtime/client/rpc-client.ts'),
            import('../../registry/micro.ts'),
          ]);
          return createClient({ registry: createMicroRegistry({ address, timeout }) });
        })());
  const call = async <T>(endpoint: string, body: object, retries?: number): Promise<T> =>
    (await client()).call<T>(SERVICE, `Trace.${endpoint}`, body, {
      timeout,
      ...(retries === undefined ? {} : { retries }),
    });
  return {
    async write(spans) {
      await call('Write', { spans: checkSpans(spans) }, 0);
    },
    async list(query = {}) {
      checkQuery(query);
      return (await call<{ traces: TraceSummary[] }>('List', query)).traces;
    },
    get: async (traceId) => call<TraceDetail>('Get', { id: checkTraceId(traceId) }),
    async map(query = {}) {
      checkWindow(query);
      return call<ServiceMap>('Map', query);
    },
    async close() {
      if (owned) await (await owned).close();
    },
  };
}

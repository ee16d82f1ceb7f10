// The `micro` Metrics, the default for services, the CLI and the dashboard: Query calls of the
// control plane's `metrics` service, through the given client (or one over the control plane at
// `address`).
import type { Registry } from '../../registry/registry.ts';
import type { Client } from '../../runtime/client/client.ts';
import type { Metrics, MetricsReport } from './metrics.ts';

/** Options of the control plane's metrics client. */
export interface MicroMetricsOptions {
  /** The client to call through, unless `address` names a control plane; one over MICRO_REGISTRY when neither is given. */
  client?: Client;
  /** A control plane's address (its registry finds the `metrics` service there). */
  address?: string;
  /** Ms a query may take (default 5000). */
  timeout?: number;
}

/** The control plane's metrics, read through its `metrics` service. */
export function createMicroMetrics(options: MicroMetricsOptions = {}): Metrics {
  let made: Promise<Client> | undefined;
  let registry: Registry | undefined;
  const client = (): Promise<Client> =>
    options.client && !options.address
      ? Promise.resolve(options.client)
      : (made ??= Promise.all([
          import('../../runtime/client/rpc-client.ts'),
          import('../../registry/micro.ts'),
        ]).then(([{ createClient }, { createMicroRegistry }]) => {
          if (options.address) registry = createMicroRegistry({ address: options.address });
          return createClient(registry ? { registry } : {});
        }));
  return {
    async query(query = {}) {
      return (await client()).call<MetricsReport>('metrics', 'Metrics.Query', query, {
        timeout: options.timeout ?? 5000,
        retries: 0,
      });
    },
    async close() {
      if (made) await (await made).close();
      await registry?.close();
    },
  };
}

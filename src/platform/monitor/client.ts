// The `micro` monitor: the control plane's `monitor` service read over RPC through a client (a
// service's own, or one over the registry at `address`).
import type { Registry } from '../../registry/registry.ts';
import type { Client } from '../../runtime/client/client.ts';
import type { Monitor, NodeStatus, StatusChange } from './monitor.ts';

/** Options of the control plane's monitor client. */
export interface MicroMonitorOptions {
  /** The client to call through, unless `address` names a control plane. */
  client?: Client;
  /** A control plane's registry address (`127.0.0.1:8000`); its registry finds the service. */
  address?: string;
  /** Ms each call may take (default 5 s). */
  timeout?: number;
}

/** The control plane's monitor (the default). */
export function createMicroMonitor(options: MicroMonitorOptions = {}): Monitor {
  const timeout = options.timeout ?? 5000;
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
  const call = async <T>(method: string, body: object): Promise<T> =>
    (await client()).call<T>('monitor', `Monitor.${method}`, body, { timeout, retries: 0 });
  return {
    status: async (query = {}) => (await call<{ nodes: NodeStatus[] }>('Status', query)).nodes,
    history: async (query = {}) =>
      (await call<{ changes: StatusChange[] }>('History', query)).changes,
    close: async () => {
      if (made) await (await made).close();
      await registry?.close();
    },
  };
}

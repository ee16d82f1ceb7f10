// The `micro` sync, the default for services: locks and elections kept by the control plane's
// `sync` service (SQLite, one control plane), called over RPC through the service's own client.
// Leases are expiry times on the control plane's clock; this side renews them every third of the
// lease and gives a lock or leadership up before the control plane can have let it lapse
// (lease.ts), so a holder cut off from the control plane stops before another is given it.
import type { Registry } from '../../registry/registry.ts';
import type { Client } from '../../runtime/client/client.ts';
import { syncOver } from './lease.ts';
import type { CampaignResult, CandidateInfo, SyncOps } from './ops.ts';
import type { LeaderInfo, LockInfo, Sync, SyncOptions } from './sync.ts';

/** Options of the control plane's sync client. */
export interface MicroSyncOptions extends SyncOptions {
  /**
   * The client to call through (a service's own), unless `address` names a control plane; a
   * client over MICRO_REGISTRY when neither is given.
   */
  client?: Client;
}

/** SyncOps as calls of the `sync` service's `Sync` endpoints. */
export function microOps(options: MicroSyncOptions = {}): SyncOps {
  const timeout = options.timeout ?? 5000;
  let made: Promise<Client> | undefined;
  let registry: Registry | undefined;
  // An address names a control plane: its registry finds the `sync` service there.
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
  const call = async <T>(method: string, body: object, ms = timeout): Promise<T> =>
    (await client()).call<T>('sync', `Sync.${method}`, body, { timeout: ms, retries: 0 });
  return {
    lock: (req) => call<LockInfo>('Lock', req, timeout + req.wait),
    renew: (req) => call<LockInfo>('Renew', req),
    unlock: async (req) => void (await call('Unlock', req)),
    locks: async (req) => (await call<{ locks: LockInfo[] }>('Locks', req)).locks,
    campaign: (req) => call<CampaignResult>('Campaign', req),
    resign: async (req) => void (await call('Resign', req)),
    leader: async (req) => (await call<{ leader?: LeaderInfo }>('Leader', req)).leader,
    leaders: async () => (await call<{ leaders: LeaderInfo[] }>('Leaders', {})).leaders,
    candidates: async (req) =>
      (await call<{ candidates: CandidateInfo[] }>('Candidates', req)).candidates,
    close: async () => {
      if (made) await (await made).close();
      await registry?.close();
    },
  };
}

/** The control plane's sync (`MICRO_SYNC=micro`, the default). */
export function createMicroSync(options: MicroSyncOptions = {}): Sync {
  return syncOver(microOps(options), {
    name: 'micro',
    address: options.address ?? 'the control plane',
    id: options.id,
  });
}

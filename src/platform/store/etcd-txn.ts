// The etcd store's writes with conditions: read the keys, check the conditions on what was read
// (plan.ts), then commit one etcd transaction that compares each key's revision with the one read,
// so a write made in between fails the commit, and the whole is tried again on the new state.
import type { Etcd3, IKeyValue, IRequestOp } from 'etcd3';
import { wrap } from './engine.ts';
import { plan, type Current } from './plan.ts';
import type { Entry } from './store.ts';
import { conflictOn, invalid, type CheckedOperation } from './validate.ts';

/** One table of the etcd store, as a transaction needs it. */
export interface EtcdTable {
  c: Etcd3;
  /** The most keys one etcd transaction may name (the server's --max-txn-ops). */
  maxTxnOps: number;
  /** The etcd key of a store key. */
  full(key: string): Buffer;
  /** The live entry an etcd key-value holds (undefined when lapsed or not ours). */
  read(kv: IKeyValue): Entry | undefined;
}

/** Reads the keys, each chunk of maxTxnOps in one snapshot. */
export async function readKeys(t: EtcdTable, keys: string[]): Promise<Map<string, Current>> {
  const out = new Map<string, Current>();
  for (let i = 0; i < keys.length; i += t.maxTxnOps) {
    const chunk = keys.slice(i, i + t.maxTxnOps);
    const res = await t.c.kv.txn({
      success: chunk.map((k) => ({ request_range: { key: t.full(k) } })),
    });
    chunk.forEach((k, j) => {
      const kv = res.responses[j]?.response_range?.kvs[0];
      out.set(k, { revision: kv ? String(kv.mod_revision) : undefined, entry: kv && t.read(kv) });
    });
  }
  return out;
}

/** Applies the operations all or none (a failed condition is the 409 naming its key). */
export async function commit(
  t: EtcdTable,
  operations: CheckedOperation[],
  attempt = 1,
): Promise<(Entry | undefined)[]> {
  if (operations.length > t.maxTxnOps)
    throw invalid(
      `operations has ${operations.length} items; etcd takes at most ${t.maxTxnOps} in one transaction (its --max-txn-ops)`,
    );
  const keys = operations.map((o) => o.key);
  const now = await readKeys(t, keys);
  const planned = plan(operations, now); // throws the 409
  const leases = new Map<number, string>();
  for (const e of planned.effects)
    if (e.put && e.ttl !== undefined && !leases.has(e.ttl))
      leases.set(e.ttl, await lease(t.c, e.ttl));
  const success = planned.effects.map((e): IRequestOp =>
    e.put
      ? {
          request_put: {
            key: t.full(e.key),
            value: Buffer.from(wrap(e.json, e.expiresAt)),
            lease: e.ttl === undefined ? undefined : leases.get(e.ttl),
          },
        }
      : { request_delete_range: { key: t.full(e.key) } },
  );
  // Committed only if every key is as read: unchanged since, or still absent.
  const compare = keys.map((k) => {
    const rev = now.get(k)?.revision;
    return rev === undefined
      ? { key: t.full(k), target: 'Create' as const, result: 'Equal' as const, create_revision: 0 }
      : { key: t.full(k), target: 'Mod' as const, result: 'Equal' as const, mod_revision: rev };
  });
  const res = await t.c.kv.txn({ compare, success });
  if (res.succeeded) return planned.results(String(res.header.revision));
  for (const id of leases.values()) void t.c.leaseClient.leaseRevoke({ ID: id }).catch(() => {});
  // Someone wrote in between: the conditions are checked again on that (a 409 if they fail now).
  if (attempt < 20) return commit(t, operations, attempt + 1);
  throw conflictOn(keys[0]!, `and the other keys of this write kept changing (${attempt} tries)`);
}

/** A new lease a second longer than `ttl` ms (etcd counts whole seconds): its id. */
export async function lease(c: Etcd3, ttl: number): Promise<string> {
  return (await c.leaseClient.leaseGrant({ TTL: Math.ceil(ttl / 1000) + 1 })).ID;
}

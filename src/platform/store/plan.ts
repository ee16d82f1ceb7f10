// Plans a transaction for an engine that checks conditions itself (etcd, NATS): the operations run
// in order against what was read, each condition seeing the writes before it, and what is left is
// one effect per key, to be committed only if no key changed since the read.
import { conditionFailed } from './engine.ts';
import type { Entry, Operation } from './store.ts';

/** A key as read: its engine revision (present even when expired) and its live entry. */
export interface Current {
  revision: string | undefined;
  entry: Entry | undefined;
}

/** What a transaction leaves a key with. */
export type Effect =
  { put: true; value: unknown; ttl?: number; expiresAt?: number } | { put: false };

/** The planned effects, and the entries each operation returns once committed at `version`. */
export interface Plan {
  effects: Map<string, Effect>;
  results(version: string): (Entry | undefined)[];
}

/** Checks the operations in order (a failed condition throws the 409 naming its key). */
export function plan(operations: Operation[], current: Map<string, Current>): Plan {
  // A key written by an earlier operation exists but has no version yet: no ifVersion matches it.
  const live = new Map<string, { version?: string } | undefined>();
  for (const [k, c] of current) live.set(k, c.entry && { version: c.entry.version });
  const effects = new Map<string, Effect>();
  const made: ((version: string) => Entry | undefined)[] = [];
  const at = Date.now();
  for (const op of operations) {
    const now = live.get(op.key);
    if (op.ifVersion !== undefined && now?.version !== op.ifVersion)
      throw conditionFailed(op.key, op.ifVersion);
    if (op.op === 'put') {
      if (op.ifAbsent && now !== undefined) throw conditionFailed(op.key);
      const expiresAt = op.ttl === undefined ? undefined : at + op.ttl;
      effects.set(op.key, { put: true, value: op.value, ttl: op.ttl, expiresAt });
      live.set(op.key, {});
      const { key, value } = op;
      made.push((v) =>
        expiresAt === undefined
          ? { key, value, version: v }
          : { key, value, version: v, expiresAt },
      );
    } else {
      effects.set(op.key, { put: false });
      live.set(op.key, undefined);
      made.push(() => undefined);
    }
  }
  return { effects, results: (v) => made.map((m) => m(v)) };
}

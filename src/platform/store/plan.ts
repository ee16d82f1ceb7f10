// Plans a write for an engine that checks conditions itself (etcd, NATS): the conditions are
// checked against the keys as read (an expired entry counts as absent), and what is left is one
// effect per key, to be committed only if no key changed since that read.
import { entryOf } from './engine.ts';
import type { Entry } from './store.ts';
import { conflictOn, type CheckedOperation } from './validate.ts';

/** A key as read: its engine revision (present even when the entry expired) and its live entry. */
export interface Current {
  revision: string | undefined;
  entry: Entry | undefined;
}

/** What a write leaves a key with. */
export type Effect =
  | { key: string; put: true; json: string; ttl?: number; expiresAt?: number }
  | { key: string; put: false };

/** The planned effects, in order, and the entries the operations return once committed. */
export interface Plan {
  effects: Effect[];
  /** The entries (undefined for a delete) once committed at engine version `version`. */
  results(version: string): (Entry | undefined)[];
}

/** The 409 for an operation whose condition fails against `now`, or undefined when it holds. */
export function failed(op: CheckedOperation, now: Entry | undefined): Error | undefined {
  if (op.op === 'put' && op.ifAbsent && now)
    return conflictOn(op.key, `already exists (version ${now.version})`);
  if (op.ifVersion === undefined) return undefined;
  if (!now) return conflictOn(op.key, `does not exist (expected version ${op.ifVersion})`);
  if (now.version !== op.ifVersion)
    return conflictOn(op.key, `is at version ${now.version}, not ${op.ifVersion}`);
  return undefined;
}

/** Checks every operation (each key once, as checkOperations ensures); throws the first 409. */
export function plan(operations: CheckedOperation[], current: Map<string, Current>): Plan {
  const at = Date.now();
  const effects = operations.map((op): Effect => {
    const refused = failed(op, current.get(op.key)?.entry);
    if (refused) throw refused;
    if (op.op === 'delete') return { key: op.key, put: false };
    const e: Effect = { key: op.key, put: true, json: op.json };
    if (op.ttl !== undefined) Object.assign(e, { ttl: op.ttl, expiresAt: at + op.ttl });
    return e;
  });
  return {
    effects,
    results: (version) =>
      effects.map((e) =>
        e.put
          ? entryOf(e.key, { v: JSON.parse(e.json) as unknown, e: e.expiresAt }, version)
          : undefined,
      ),
  };
}

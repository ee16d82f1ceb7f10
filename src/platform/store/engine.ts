// What the store's engines (etcd, Redis, NATS) share: the namespace a call means, how a stored
// entry is wrapped, the watchers of a remote engine, and calls bounded by a timeout that fail as a
// 503 naming the engine, its address and what to start.
import { RemoteWatchers } from '../../registry/channel.ts';
import type { MicroError } from '../../runtime/errors.ts';
import { unreachableAs, withinAs, type Reach } from '../reach.ts';
import type { Entry, StoreEvent } from './store.ts';
import { STORE_ID } from './validate.ts';

/** What an engine keeps under a key: the value and, with a lease, when it ends. */
export interface Stored {
  v: unknown;
  e?: number;
}

/** The text an engine stores for a value given as its JSON text. */
export function wrap(json: string, expiresAt?: number): string {
  return expiresAt === undefined ? `{"v":${json}}` : `{"v":${json},"e":${expiresAt}}`;
}

/** The stored value in `text`, or undefined when it is not one of ours or its lease ran out. */
export function unwrap(text: string, now = Date.now()): Stored | undefined {
  let s: Stored;
  try {
    s = JSON.parse(text) as Stored;
  } catch {
    return undefined; // another program's key
  }
  if (typeof s !== 'object' || s === null || !('v' in s)) return undefined;
  if (s.e !== undefined && (typeof s.e !== 'number' || s.e <= now)) return undefined;
  return s;
}

/** The entry for a stored value. */
export function entryOf(key: string, s: Stored, version: string, keysOnly = false): Entry {
  const entry: Entry = { key, value: keysOnly ? undefined : s.v, version };
  if (keysOnly) delete entry.value;
  if (s.e !== undefined) entry.expiresAt = s.e;
  return entry;
}

export type { Reach } from '../reach.ts';

/** A 503 (id `store`) saying which engine did not answer where, why, and what to start. */
export const unreachable = (reach: Reach, why: string): MicroError =>
  unreachableAs(STORE_ID, reach, why);

/** Runs `fn` bounded by the engine's timeout; anything but a MicroError becomes its 503. */
export const within = <T>(reach: Reach, fn: () => Promise<T>): Promise<T> =>
  withinAs(STORE_ID, reach, fn);

/** The watchers of an engine store: writes wait for the watches being set up (`settled`). */
export class EngineWatchers extends RemoteWatchers<StoreEvent> {}

/** True when `key` is one a watch of `key` or `prefix` (or everything) reports. */
export function watches(o: { key?: string; prefix?: string }, key: string): boolean {
  if (o.key !== undefined) return key === o.key;
  return o.prefix === undefined || key.startsWith(o.prefix);
}

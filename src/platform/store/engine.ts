// What the store's engines (etcd, Redis, NATS) share: the namespace a call means, how a stored
// entry is wrapped, the watchers of a remote engine, and calls bounded by a timeout that fail as a
// 503 naming the engine, its address and what to start.
import { RemoteWatchers } from '../../registry/channel.ts';
import { MicroError, serviceUnavailable } from '../../runtime/errors.ts';
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

/** Where an engine is and what to do when it does not answer. */
export interface Reach {
  /** The engine's name in messages: `etcd`, `Redis`, `NATS`. */
  engine: string;
  address: string;
  timeout: number;
  /** What to start or set, for the message. */
  hint: string;
}

/** A 503 saying which engine did not answer where, why, and what to start. */
export function unreachable(reach: Reach, why: string): MicroError {
  return serviceUnavailable(
    STORE_ID,
    `cannot reach ${reach.engine} at ${reach.address} (${why}); ${reach.hint}`,
  );
}

/**
 * Runs `fn` bounded by the engine's timeout: a MicroError it throws passes through, anything else
 * (refused, reset, timed out) becomes the engine's 503.
 */
export async function within<T>(reach: Reach, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${reach.timeout} ms`)),
          reach.timeout,
        );
      }),
    ]);
  } catch (err) {
    if (err instanceof MicroError) throw err;
    throw unreachable(reach, (err as Error).message || String(err));
  } finally {
    clearTimeout(timer);
  }
}

/** The watchers of an engine store: writes wait for the watches being set up (`settled`). */
export class EngineWatchers extends RemoteWatchers<StoreEvent> {}

/** True when `key` is one a watch of `key` or `prefix` (or everything) reports. */
export function watches(o: { key?: string; prefix?: string }, key: string): boolean {
  if (o.key !== undefined) return key === o.key;
  return o.prefix === undefined || key.startsWith(o.prefix);
}

// How a platform area's engine clients (etcd, Redis, NATS) bound their calls and say that an
// engine did not answer: one 503 naming the engine, where it was looked for, why, and what to start,
// under the area's error id. The store and the events share it; each area binds its own id.
import { MicroError, serviceUnavailable } from '../runtime/errors.ts';

/** Where an engine is and what to do when it does not answer. */
export interface Reach {
  /** The engine's name in messages: `etcd`, `Redis`, `NATS`. */
  engine: string;
  /** Where it is. */
  address: string;
  /** Ms a call waits at most. */
  timeout: number;
  /** What to start or set, for the message. */
  hint: string;
}

/** A 503 (error id `id`) saying which engine did not answer where, why, and what to start. */
export function unreachableAs(id: string, reach: Reach, why: string): MicroError {
  return serviceUnavailable(
    id,
    `cannot reach ${reach.engine} at ${reach.address} (${why}); ${reach.hint}`,
  );
}

/**
 * Runs `fn` bounded by the engine's timeout: a MicroError it throws passes through, anything else
 * (refused, reset, timed out) becomes the engine's 503 under error id `id`.
 */
export async function withinAs<T>(id: string, reach: Reach, fn: () => Promise<T>): Promise<T> {
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
    throw unreachableAs(id, reach, (err as Error).message || String(err));
  } finally {
    clearTimeout(timer);
  }
}

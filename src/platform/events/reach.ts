// What the events engines (NATS JetStream, Redis streams) share: calls bounded by a timeout that
// fail as a 503 naming the engine, its address and what to start, and a subscription's deliveries
// queued for its reader.
import { Channel } from '../../registry/channel.ts';
import { MicroError, serviceUnavailable } from '../../runtime/errors.ts';
import { EVENTS_ID } from './errors.ts';
import type { Delivery, EventSubscription } from './events.ts';

/** Where an engine is and what to do when it does not answer. */
export interface Reach {
  /** The engine's name in messages: `NATS`, `Redis`. */
  engine: string;
  /** Where it is. */
  address: string;
  /** Ms a call waits at most. */
  timeout: number;
  /** What to start or set, for the message. */
  hint: string;
}

/** A 503 saying which engine did not answer where, why, and what to start. */
export function unreachable(reach: Reach, why: string): MicroError {
  return serviceUnavailable(
    EVENTS_ID,
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

/** A subscription fed by an engine's reader: `stop` runs `halt` once and ends iteration. */
export function feed(
  topic: string,
  group: string | undefined,
  halt: () => Promise<void>,
): { channel: Channel<Delivery>; subscription: EventSubscription } {
  let halting: Promise<void> | undefined;
  const stop = () => (halting ??= halt().catch(() => undefined));
  const channel = new Channel<Delivery>(() => void stop());
  return {
    channel,
    subscription: {
      topic,
      group,
      stop: async () => {
        channel.close();
        await stop();
      },
      [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator](),
    },
  };
}

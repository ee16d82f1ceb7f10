// What the events engines (NATS JetStream, Redis streams) share: calls bounded by a timeout that
// fail as a 503 naming the engine, its address and what to start, and a subscription's deliveries
// queued for its reader.
import { Channel } from '../../registry/channel.ts';
import type { MicroError } from '../../runtime/errors.ts';
import { unreachableAs, withinAs, type Reach } from '../reach.ts';
import { EVENTS_ID } from './errors.ts';
import type { Delivery, EventSubscription } from './events.ts';

export type { Reach } from '../reach.ts';

/** A 503 (id `events`) saying which engine did not answer where, why, and what to start. */
export const unreachable = (reach: Reach, why: string): MicroError =>
  unreachableAs(EVENTS_ID, reach, why);

/** Runs `fn` bounded by the engine's timeout; anything but a MicroError becomes its 503. */
export const within = <T>(reach: Reach, fn: () => Promise<T>): Promise<T> =>
  withinAs(EVENTS_ID, reach, fn);

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

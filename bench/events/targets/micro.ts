// micro's Events, chosen as a service chooses them (eventsFromEnv with MICRO_EVENTS and
// MICRO_EVENTS_ADDRESS): `micro` calls the control plane's events service (SQLite), `redis` and
// `jetstream` are micro's engines talking to the bench's redis-server and nats-server. A consumer
// is a group subscription from the oldest event, each delivery acknowledged (the client sends the
// acknowledgements of one tick together).
import type { EventsClient, EventsTarget } from '../target.ts';

/** The target of micro's events implementation called name (micro, redis, jetstream). */
export const microEvents = (name: string): EventsTarget => ({
  async connect(address) {
    const { eventsFromEnv } = await import('../../../src/platform/events/index.ts');
    const events = eventsFromEnv(
      { MICRO_EVENTS: name, MICRO_EVENTS_ADDRESS: address },
      { from: 'bench' },
    );
    return {
      async publish(topic, data) {
        await events.publish(topic, data);
      },
      async consume(topic, group, count, maxInFlight, signal) {
        const sub = await events.subscribe(topic, {
          group,
          start: 'earliest',
          maxInFlight,
          ackTimeout: 60_000,
        });
        const stop = (): void => void sub.stop();
        signal.addEventListener('abort', stop);
        const acks: Promise<void>[] = [];
        let seen = 0;
        try {
          for await (const delivery of sub) {
            acks.push(delivery.ack());
            if (++seen >= count) break;
          }
          await Promise.all(acks);
        } finally {
          signal.removeEventListener('abort', stop);
          await sub.stop();
        }
        if (seen < count) throw new Error(`consumed ${seen} of ${count} before the time bound`);
      },
      close: () => events.close(),
    } satisfies EventsClient;
  },
});

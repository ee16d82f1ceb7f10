// The peer: Moleculer 0.15 with @moleculer/channels on Redis streams, as its README sets it up. One
// broker (no transporter: the channel goes through Redis) publishes with sendToChannel, which
// resolves once XADD answered, and consumes with a channel handler in a consumer group created at
// the stream's start (startID 0, as the other contenders read from the oldest), maxInFlight as
// the others, each message acknowledged by the adapter (XACK) once the handler resolved.
import { ServiceBroker, type Service, type ServiceSchema } from 'moleculer';
import type { EventsClient, EventsTarget } from '../target.ts';

/** @moleculer/channels' middleware factory (CommonJS, with its own types). */
type Middleware = (options: object) => object;

/** Moleculer with the channels middleware against the bench's redis-server. */
export const moleculer: EventsTarget = {
  async connect(address) {
    const channels = (await import('@moleculer/channels')) as unknown as {
      Middleware: Middleware;
    };
    const broker = new ServiceBroker({
      nodeID: `bench-${process.pid}`,
      transporter: null,
      logger: process.env.MOLDBG ? { type: 'Console', options: { level: 'debug' } } : false,
      metrics: false,
      tracing: false,
      middlewares: [
        channels.Middleware({
          adapter: {
            type: 'Redis',
            options: {
              redis: { url: `redis://${address}`, consumerOptions: { startID: '0' } },
            },
          },
        }),
      ],
    });
    await broker.start();
    const send = broker as unknown as {
      sendToChannel(name: string, payload: unknown): Promise<unknown>;
    };
    let consumers = 0;
    return {
      async publish(topic, data) {
        await send.sendToChannel(topic, data);
      },
      async consume(topic, group, count, maxInFlight, signal) {
        let seen = 0;
        let done!: () => void;
        const all = new Promise<void>((resolve) => (done = resolve));
        const schema = {
          name: `consumer${++consumers}`,
          channels: {
            [topic]: {
              group,
              maxInFlight,
              handler(payload: unknown) {
                if ((payload as { id?: unknown }).id === undefined) throw new Error('no id');
                if (++seen === count) done();
              },
            },
          },
        };
        // The channels middleware reads `channels`, which moleculer's own schema type does not name.
        const service: Service = broker.createService(schema as ServiceSchema);
        const bound = new Promise<never>((_, reject) =>
          signal.addEventListener('abort', () =>
            reject(new Error(`consumed ${seen} of ${count} before the time bound`)),
          ),
        );
        try {
          await Promise.race([all, bound]);
        } finally {
          // Unsubscribing waits for the messages in flight: their acknowledgements are sent.
          await broker.destroyService(service);
        }
      },
      close: () => broker.stop(),
    } satisfies EventsClient;
  },
};

import type { Broker, BrokerFactory } from './broker.ts';
import { BrokerErrors, isBrokerError } from './broker.ts';
import { createHttpBroker } from './http.ts';
import { createMemoryBroker } from './memory.ts';
import { createJetStreamBroker } from './nats-jetstream.ts';
import { createNatsBroker } from './nats.ts';
import { createRedisBroker } from './redis/index.ts';

export type * from './broker.ts';
export { BrokerError, BrokerErrors, isBrokerError } from './broker.ts';
export { createMemoryBroker } from './memory.ts';
export { createHttpBroker, topicService, type HttpBrokerOptions } from './http.ts';
export { createNatsBroker, topicSubject, type NatsBrokerOptions } from './nats.ts';
export { createJetStreamBroker, type JetStreamBrokerOptions } from './nats-jetstream.ts';
export { createRedisBroker, type RedisBrokerOptions } from './redis/index.ts';

// Each implementation loads its client library (nats, ioredis) on connect, not at import, so this
// table costs nothing to import; a new broker must keep to that.
/** The brokers by name: `--broker` and MICRO_BROKER pick from it. */
export const brokers = {
  http: (o) => createHttpBroker({ registry: o.registry, address: o.address }),
  memory: () => createMemoryBroker(),
  nats: (o) => createNatsBroker({ address: o.address }),
  jetstream: (o) => createJetStreamBroker({ address: o.address }),
  redis: (o) => createRedisBroker({ address: o.address }),
} satisfies Record<string, BrokerFactory>;

/**
 * The broker as a client publishes through it: connected on the first publish that finds it
 * unconnected, since only a server with subscribers connects it otherwise (NATS needs a connection
 * to publish; the http broker does not, and is not connected needlessly).
 */
export function connectOnPublish(broker: Broker): Broker {
  let connecting: Promise<void> | undefined;
  return {
    get name() {
      return broker.name;
    },
    get address() {
      return broker.address;
    },
    connect: () => broker.connect(),
    disconnect: () => broker.disconnect(),
    subscribe: (topic, handler, options) => broker.subscribe(topic, handler, options),
    async publish(topic, message, options) {
      try {
        await broker.publish(topic, message, options);
      } catch (err) {
        if (!isBrokerError(err, BrokerErrors.notConnected)) throw err;
        connecting ??= broker.connect().finally(() => (connecting = undefined));
        await connecting;
        await broker.publish(topic, message, options);
      }
    },
  };
}

import type { Registry } from '../../registry/registry.ts';
import type { Broker } from './broker.ts';
import { BrokerErrors } from './broker.ts';
import { createHttpBroker } from './http.ts';
import { createMemoryBroker } from './memory.ts';
import { createJetStreamBroker } from './nats-jetstream.ts';
import { createNatsBroker } from './nats.ts';
import { createRedisBroker } from './redis/index.ts';

export type * from './broker.ts';
export { BrokerErrors } from './broker.ts';
export { createMemoryBroker } from './memory.ts';
export { createHttpBroker, topicService, type HttpBrokerOptions } from './http.ts';
export { createNatsBroker, topicSubject, type NatsBrokerOptions } from './nats.ts';
export { createJetStreamBroker, type JetStreamBrokerOptions } from './nats-jetstream.ts';
export { createRedisBroker, type RedisBrokerOptions } from './redis/index.ts';

/** What every entry of the brokers table is given. */
export interface BrokerFactoryOptions {
  /** `--broker-address`: the engine's `host:port`, or where the http broker listens. */
  address?: string;
  /** The service's registry, for brokers that find subscribers through it (http). */
  registry: Registry;
}

/** Makes a broker from the table's options. */
export type BrokerFactory = (options: BrokerFactoryOptions) => Broker;

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
    async publish(topic, message) {
      try {
        await broker.publish(topic, message);
      } catch (err) {
        if (!String((err as Error).message).startsWith(BrokerErrors.notConnected)) throw err;
        connecting ??= broker.connect().finally(() => (connecting = undefined));
        await connecting;
        await broker.publish(topic, message);
      }
    },
  };
}

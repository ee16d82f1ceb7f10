export type * from './broker.ts';
export { BrokerErrors } from './broker.ts';
export { createMemoryBroker } from './memory.ts';
export { createHttpBroker, topicService, type HttpBrokerOptions } from './http.ts';
export { createNatsBroker, topicSubject, type NatsBrokerOptions } from './nats.ts';
export { createJetStreamBroker, type JetStreamBrokerOptions } from './nats-jetstream.ts';

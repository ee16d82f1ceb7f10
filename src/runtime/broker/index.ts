export type * from './broker.ts';
export { BrokerErrors } from './broker.ts';
export { createMemoryBroker } from './memory.ts';
export { createHttpBroker, topicService, type HttpBrokerOptions } from './http.ts';

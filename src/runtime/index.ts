// The public surface of micro's framework: reviewed like an API; add to it deliberately.
export { createService, type Service, type ServiceOptions } from './service.ts';

export { createServer } from './server/rpc-server.ts';
export type {
  Server,
  ServerOptions,
  HandleOptions,
  Logger,
  SubscriberFunc,
  SubscriberWrapper,
  ServerSubscribeOptions,
} from './server/server.ts';
export { endpoint, serverStream, clientStream, bidiStream } from './server/handler.ts';
export type {
  EndpointOptions,
  EndpointDefinition,
  HandlerFunc,
  HandlerWrapper,
  StreamKind,
} from './server/handler.ts';

export { createClient, type ClientOptions } from './client/rpc-client.ts';
export type {
  Client,
  CallOptions,
  CallResponse,
  CallRequest,
  CallFunc,
  CallWrapper,
  ClientStream,
  PublishOptions,
} from './client/client.ts';

export type { Context } from './context.ts';
export type { Metadata } from './metadata.ts';

export {
  createSelector,
  random,
  roundRobin,
  filterEndpoint,
  filterLabel,
  filterVersion,
  SelectorErrors,
} from './selector/index.ts';
export type {
  Selector,
  Strategy,
  Filter,
  Next,
  SelectOptions,
  CacheSelectorOptions,
} from './selector/index.ts';

export {
  createTcpTransport,
  createHttpTransport,
  createMemoryTransport,
  transports,
  Headers,
  TransportErrors,
} from './transport/index.ts';
export type {
  Transport,
  Listener,
  Message,
  Reply,
  Pipe,
  TransportOptions,
  ListenOptions,
} from './transport/index.ts';

export { CodecTable, codecs } from './codec/index.ts';
export type { Codec } from './codec/index.ts';

export {
  createMemoryBroker,
  createHttpBroker,
  topicService,
  BrokerErrors,
} from './broker/index.ts';
export type {
  Broker,
  BrokerEvent,
  BrokerMessage,
  BrokerHandler,
  Subscription,
  SubscribeOptions,
} from './broker/index.ts';

export {
  MicroError,
  badRequest,
  unauthorized,
  forbidden,
  notFound,
  methodNotAllowed,
  timeout,
  conflict,
  internalServerError,
  badGateway,
  serviceUnavailable,
  toMicroError,
  parseError,
  isErrorShape,
  type ErrorShape,
} from './errors.ts';

export {
  createMemoryRegistry,
  createMdnsRegistry,
  registries,
  RegistryError,
  RegistryErrors,
} from '../registry/index.ts';
export type {
  Registry,
  Service as RegistryService,
  Node,
  Endpoint,
  Schema,
  Watcher,
  WatchEvent,
} from '../registry/index.ts';

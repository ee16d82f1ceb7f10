// The public surface of micro's framework: reviewed like an API; add to it deliberately.
export { createService, type Service, type ServiceOptions } from './service.ts';

export { createServer } from './server/rpc-server.ts';
export type {
  Server,
  ServerOptions,
  Handles,
  HandleOptions,
  Logger,
  SubscriberFunc,
  SubscriberWrapper,
  ServerSubscribeOptions,
} from './server/server.ts';
export { endpoint, serverStream, clientStream, bidiStream } from './server/declare.ts';
export type { Caller, Guard, GuardCall } from './server/guard.ts';
export { composeObservers } from './server/observe.ts';
export type { ObservedRequest, Observation, Observer } from './server/observe.ts';
export type {
  HealthCheckFunc,
  HealthCheckOptions,
  HealthCheckResult,
  HealthReportStatus,
} from './server/checks.ts';
export type {
  Awaitable,
  DeclareOptions,
  StreamDeclarer,
  StreamFunction,
  ServerStreamFunction,
  ClientStreamFunction,
  BidiStreamFunction,
} from './server/declare.ts';
export type {
  StandardSchema,
  StandardSchemaV1,
  TypedJsonSchema,
  SchemaLike,
  InputOf,
  OutputOf,
} from './schema/types.ts';
export {
  /** The stream kind a registry endpoint advertises (`metadata.stream`), unary when none. */
  streamKindOf,
  /** Every StreamKind, as the registry's `metadata.stream` may name them. */
  STREAM_KINDS,
} from './server/handler.ts';
export type {
  EndpointOptions,
  EndpointDefinition,
  EndpointTypes,
  /** A function serving an endpoint: `(request, ctx) => response`. */
  EndpointFunction,
  /** An object whose methods are served as `Name.Method` endpoints. */
  Handler,
  /** One method of a Handler: an endpoint function or an endpoint/stream declaration. */
  HandlerMethod,
  /** An object of type T (a class instance) checked as handle() serves it. */
  HandlerOf,
  HandlerFunc,
  HandlerWrapper,
  StreamKind,
} from './server/handler.ts';

export { createClient, type ClientOptions } from './client/rpc-client.ts';
export type {
  Handlers,
  HandlersOf,
  HandlerClient,
  MethodClient,
  ServiceClient,
} from './client/typed.ts';
export type {
  Client,
  CallOptions,
  CallResponse,
  CallRequest,
  CallFunc,
  CallWrapper,
  StreamRequest,
  StreamFunc,
  StreamWrapper,
  PublishRequest,
  PublishFunc,
  PublishWrapper,
  ClientStream,
  PublishOptions,
} from './client/client.ts';

export type { Context, ContextCallOptions, ContextOutlet } from './context.ts';
export type { Metadata } from './metadata.ts';

export {
  createSelector,
  random,
  roundRobin,
  leastOutstanding,
  latencyAware,
  strategies,
  strategyFromEnv,
  preferZone,
  filterEndpoint,
  filterLabel,
  filterVersion,
} from './selector/index.ts';
export type {
  Selector,
  Strategy,
  Filter,
  Next,
  SelectOptions,
  CacheSelectorOptions,
  Done,
  NodeLoad,
  ZonePreference,
  StrategyName,
} from './selector/index.ts';

export { targetPolicy } from './resilience/policy.ts';
export type {
  BreakerOptions,
  BulkheadOptions,
  CallerLimits,
  CircuitInfo,
  CircuitState,
  HedgeOptions,
  ResiliencyPolicy,
  RetryBudgetOptions,
  TargetPolicy,
} from './resilience/policy.ts';

export {
  createTcpTransport,
  createHttpTransport,
  createMemoryTransport,
  transports,
  Headers,
  TransportError,
  TransportErrors,
} from './transport/index.ts';
export type {
  Transport,
  Listener,
  Message,
  Reply,
  Pipe,
  TransportOptions,
  /** Makes a transport for the transports table. */
  TransportFactory,
  /** What every entry of the transports table is given. */
  TransportFactoryOptions,
  ListenOptions,
  WebHandler,
  ServerTlsOptions,
  ClientTlsOptions,
  ConnectionLimits,
  Header,
  CallInfo,
  TransportHandler,
  TransportErrorCode,
  HttpTransportOptions,
  MemoryTransportOptions,
  NatsTransportOptions,
} from './transport/index.ts';

export { CodecTable, codecs } from './codec/index.ts';
export type {
  Codec,
  /** Makes a codec for the codecs table. */
  CodecFactory,
} from './codec/index.ts';

export {
  createMemoryBroker,
  createHttpBroker,
  topicService,
  /** A broker failure with a stable `.code` (one of BrokerErrors). */
  BrokerError,
  BrokerErrors,
  /** True when an error carries the given broker error code. */
  isBrokerError,
} from './broker/index.ts';
export type {
  /** Makes a broker for the brokers table. */
  BrokerFactory,
  /** What every entry of the brokers table is given. */
  BrokerFactoryOptions,
  /** One of BrokerErrors. */
  BrokerErrorCode,
  Broker,
  BrokerEvent,
  BrokerMessage,
  BrokerHandler,
  Subscription,
  SubscribeOptions,
  DurableOptions,
  BrokerPublishOptions,
  HttpBrokerOptions,
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
  /** Makes a registry for the registries table. */
  RegistryFactory,
  /** What every entry of the registries table is given. */
  RegistryFactoryOptions,
} from '../registry/index.ts';

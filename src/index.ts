// The public surface of `micro-ts`: the framework (src/runtime) with the platform's createService,
// whose services have store, config, sync, events and db at hand, the platform's auth, and tracing.
export * from './runtime/index.ts';
export {
  createService,
  type PlatformService,
  type PlatformOptions,
  type Platform,
  type PlatformSubscribeOptions,
} from './platform/service.ts';
export type * from './platform/store/store.ts';
export type * from './platform/config/config.ts';
export type * from './platform/sync/sync.ts';
export type {
  Delivery,
  EventInput,
  EventPage,
  EventRecord,
  Events,
  EventSubscribeOptions,
  EventSubscription,
  GroupInfo,
  PublishOptions as EventPublishOptions,
  Published,
  ReadOptions,
  Retention,
  StartAt,
  TopicInfo,
} from './platform/events/events.ts';
export type { ConfigChange, ServiceConfig, ServiceConfigOptions } from './platform/config/index.ts';
export type * from './platform/db/db.ts';
export { DB_LIMITS } from './platform/db/db.ts';
export { createMemoryDb, createMicroDb } from './platform/db/index.ts';
export type { MemoryDbOptions, MicroDbOptions } from './platform/db/index.ts';
export { createMicroEvents, type MicroEventsOptions } from './platform/events/client.ts';
export { createMemoryEvents, type MemoryEventsOptions } from './platform/events/memory.ts';
export type { LogEvents, LogEventsOptions, OffsetAcks } from './platform/events/engine.ts';
export {
  PLATFORM_TOPICS,
  type PlatformConfigEvent,
  type PlatformHealthEvent,
  type PlatformRegistryEvent,
  type PlatformRuntimeEvent,
  type PlatformSyncEvent,
} from './platform/events/platform.ts';
export type * from './platform/monitor/monitor.ts';
export { createMemoryMonitor, createMicroMonitor } from './platform/monitor/index.ts';
export type {
  MemoryMonitor,
  MemoryMonitorOptions,
  MicroMonitorOptions,
  HealthAnswer,
  Observed,
  ProbeResult,
} from './platform/monitor/index.ts';
export type * from './platform/auth/auth.ts';
export type { Caller } from './runtime/server/guard.ts';
export { createMemoryAuth, createMicroAuth, authFromEnv } from './platform/auth/index.ts';
export type { AuthOptions, MicroAuthOptions } from './platform/auth/index.ts';
export { OAuthError, type OAuthErrorCode } from './platform/auth/errors.ts';
export type * from './platform/logs/logs.ts';
export { LOG_LEVELS } from './platform/logs/logs.ts';
export {
  createLogger,
  type LogFormat,
  type LoggerOptions,
  type MicroLogger,
} from './platform/logs/logger.ts';
export { createMemoryLogs, createMicroLogs, logsFromEnv } from './platform/logs/index.ts';
export type { LogsBounds, MemoryLogsOptions, MicroLogsOptions } from './platform/logs/index.ts';
export type * from './platform/metrics/metrics.ts';
export { LATENCY_BUCKETS } from './platform/metrics/metrics.ts';
export { createMicroMetrics, type MicroMetricsOptions } from './platform/metrics/client.ts';
export type * from './platform/trace/trace.ts';
export {
  createMemoryTrace,
  createMicroTrace,
  traceFromEnv,
  TRACE_BOUNDS,
  TRACE_LIMITS,
} from './platform/trace/index.ts';
export type { MicroTraceOptions, TraceBounds } from './platform/trace/index.ts';
export {
  tracingFromEnv,
  traceEnabled,
  type Tracing,
  type TracingOptions,
} from './platform/trace/enable.ts';
export type * from './platform/routing/routing.ts';
export { ROUTE_LIMITS } from './platform/routing/routing.ts';
export {
  createRoutes,
  routesFromEnv,
  routingFromEnv,
  type ConfigRoutesOptions,
  type Routing,
  type RoutesDefaults,
  type RoutingDefaults,
} from './platform/routing/index.ts';

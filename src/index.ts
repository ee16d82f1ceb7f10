// The public surface of `micro-ts`: the framework (src/runtime) with the platform's createService,
// whose services have store, config and sync at hand.
export * from './runtime/index.ts';
export {
  createService,
  type PlatformService,
  type PlatformOptions,
  type Platform,
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

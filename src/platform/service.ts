// A service with the platform at hand: the runtime's Service plus `store`, `config`, `sync`,
// `events` and `db`, each made on first use from MICRO_STORE, MICRO_CONFIG, MICRO_SYNC, MICRO_EVENTS
// and MICRO_DB (the control plane by default) and closed when the service stops. The runtime knows nothing of
// the platform: its `durable` broker hook is filled here with the events, so that
// `subscribe(topic, fn, {durable: true})` and `client.publish(topic, msg, {durable: true})` are
// at least once. With MICRO_AUTH=on it is enforced (src/platform/auth/enforce.ts): its guard checks
// every caller and its client sends its own token. Unless MICRO_TRACE=off it is traced
// (src/platform/trace/enable.ts): a span per call, stream, publish and event, exported to the
// control plane. Its `logger` is pino's (src/platform/logs/logger.ts): JSON lines with its name,
// node and the active span's ids, also the runtime's logger, shipped as MICRO_LOG_FILE,
// MICRO_LOG_TOPIC and MICRO_LOG_COLLECT say. This is the createService that `micro-ts` exports.
import { randomUUID } from 'node:crypto';
import { registryFromEnv } from '../runtime/defaults.ts';
import { composeObservers } from '../runtime/server/observe.ts';
import { createService as createRuntimeService } from '../runtime/service.ts';
import type { Service, ServiceOptions } from '../runtime/service.ts';
import type { ServerSubscribeOptions, SubscriberFunc } from '../runtime/server/server.ts';
import type { Db } from './db/db.ts';
import { dbFromEnv, serviceDatabase } from './db/index.ts';
import { configFor, type ServiceConfig, type ServiceConfigOptions } from './config/index.ts';
import type { Config } from './config/config.ts';
import { storeFromEnv } from './store/index.ts';
import type { Store } from './store/store.ts';
import { eventsBroker } from './events/broker.ts';
import type { Events, EventSubscribeOptions } from './events/events.ts';
import { eventsFromEnv } from './events/index.ts';
import { syncFromEnv } from './sync/index.ts';
import type { Logger } from '../runtime/server/server.ts';
import { createLogger, loggerStream, type MicroLogger } from './logs/logger.ts';
import type { Logs } from './logs/logs.ts';
import { shipFromEnv } from './logs/ship.ts';
import type { Auth } from './auth/auth.ts';
import { enforceFromEnv } from './auth/enforce.ts';
import { authFromEnv } from './auth/index.ts';
import type { Sync } from './sync/sync.ts';
import { tracingFromEnv } from './trace/enable.ts';
import { routingFromEnv } from './routing/index.ts';
import { serviceMetrics } from './metrics/enable.ts';
import type { Registry as MetricsRegistry } from 'prom-client';

/** What a service may be given of the platform, besides the runtime's options. */
export interface PlatformOptions {
  /** Its store (default: MICRO_STORE, the control plane's unless set); keys go in the database named after the service. */
  store?: Store;
  /** Where its config lives (default: MICRO_CONFIG, the control plane's unless set), and its defaults, file and schema. */
  config?: ServiceConfigOptions & {
    /** The Config its namespace is read from (default: MICRO_CONFIG's). */
    source?: Config;
  };
  /** Its locks and elections (default: MICRO_SYNC, the control plane's unless set). */
  sync?: Sync;
  /** Its database (default: MICRO_DB, the control plane's unless set); collections go in the database named after the service. */
  db?: Db;
  /** Its durable events (default: MICRO_EVENTS, the control plane's unless set); also what `durable` subscribers and publishes use. */
  events?: Events;
}

/** The platform parts of a service. */
export interface Platform {
  /** Key-value storage, namespaced to this service by default. */
  readonly store: Store;
  /** This service's configuration: merged from its sources, updated in place. */
  readonly config: ServiceConfig;
  /** Locks and leader election. */
  readonly sync: Sync;
  /** Collections of JSON records with queries and indexes, in the database named after this service by default. */
  readonly db: Db;
  /** Durable, ordered topics with consumer groups. */
  readonly events: Events;
  /**
   * Its pino logger: JSON lines (pretty on a terminal) with its name, node and the active trace
   * and span ids; shipped as MICRO_LOG_FILE, MICRO_LOG_TOPIC and MICRO_LOG_COLLECT say. With a
   * `logger` given in the options, its lines go to that one instead.
   */
  readonly logger: MicroLogger;
}

/** Options of a platform service's subscribe: the runtime's, `durable` taking the events' options. */
export interface PlatformSubscribeOptions extends Omit<ServerSubscribeOptions, 'durable'> {
  /**
   * At least once, through `service.events`: a consumer group named `group`, else `queue`, else the
   * service's name; an event is acknowledged when fn resolves and delivered again when it throws
   * (to the dead-letter topic after maxDeliveries).
   */
  durable?: true | EventSubscribeOptions;
}

/** A service with its platform parts. */
export type PlatformService<H extends object = object> = Service<H> &
  Platform & {
    /** Calls fn for each message on the topic; `durable` for at least once, through the events. */
    subscribe(
      topic: string,
      fn: SubscriberFunc,
      options?: PlatformSubscribeOptions,
    ): PlatformService<H>;
    /**
     * The prom-client Registry that `GET /metrics` on the service's port renders (micro_* series):
     * register your own metrics in it. Undefined when MICRO_METRICS=off.
     */
    readonly metricsRegistry: MetricsRegistry | undefined;
  };

/** Wrappers in order: the outer ones, the user's, the inner one; undefined for none. */
function chain<W>(
  outer: (W | undefined)[],
  given: W[] | undefined,
  inner: W | undefined,
): W[] | undefined {
  const list = [...outer, ...(given ?? []), inner].filter((w): w is W => w !== undefined);
  return list.length > 0 ? list : undefined;
}

/** Creates a service (see the runtime's createService) whose store, config, sync, events and db are made on first use. */
export function createService(options: ServiceOptions & PlatformOptions): PlatformService {
  let events: Events | undefined = options.events;
  const durable = options.durable ?? eventsBroker(() => service.events);
  // MICRO_AUTH=on: the guard checks every caller, the client sends the service's token. Snapshots
  // and tokens come through the service's own client (the token endpoint needs no token).
  let auth: Auth | undefined;
  const authOf = (): Auth => (auth ??= authFromEnv(process.env, { client: service.client }));
  // Its logger: pino's unless one is given (then pino's lines go to that one).
  let logs: Logs | undefined;
  const shippers = options.logger
    ? []
    : shipFromEnv(process.env, {
        service: options.name,
        publish: (topic, records) =>
          service.events.publishMany(
            topic,
            records.map((data) => ({ data })),
          ),
        collect: async (records) => {
          logs ??= (await import('./logs/client.ts')).createMicroLogs({ client: service.client });
          await logs.write(records);
        },
      });
  const pinoLogger = createLogger({
    service: options.name,
    sinks: shippers,
    ...(options.logger && { stream: loggerStream(options.logger), format: 'json' as const }),
  });
  const logger: Logger = options.logger ?? pinoLogger;
  const enforced = options.guard
    ? undefined
    : enforceFromEnv(
        process.env,
        { token: (r) => authOf().token(r), snapshot: () => authOf().snapshot() },
        { id: options.name, onError: (err) => logger.warn(`auth: ${err.message}`) },
      );
  // Tracing (unless MICRO_TRACE=off): its observer and wrappers outermost, so a span covers the
  // whole request (auth's checks and metrics included) and the trace context is in the metadata
  // auth signs.
  const id = options.id ?? `${options.name}-${randomUUID()}`;
  const tracing = tracingFromEnv(process.env, {
    service: options.name,
    node: id,
    client: () => service.client,
    logger,
  });
  // MICRO_METRICS (on unless off): requests counted, Debug.Metrics and GET /metrics on its port.
  const metrics = serviceMetrics(options.name, () => service.server);
  // Traffic rules (unless MICRO_ROUTES=off): read on its first call, from MICRO_CONFIG's config.
  const routing = routingFromEnv(process.env, { client: () => service.client });
  const service = createRuntimeService({
    ...options,
    id,
    logger,
    durable,
    observe: composeObservers([tracing?.observe, metrics?.observe, options.observe]),
    wrapCall: chain([tracing?.wrapCall, routing?.wrapCall], options.wrapCall, enforced?.wrapCall),
    wrapStream: chain(
      [tracing?.wrapStream, routing?.wrapStream],
      options.wrapStream,
      enforced?.wrapStream,
    ),
    wrapPublish: chain(
      [tracing?.wrapPublish, metrics?.wrapPublish],
      options.wrapPublish,
      enforced?.wrapPublish,
    ),
    ...(metrics && {
      debugMetrics: metrics.debugMetrics,
      routes: { ...metrics.routes, ...options.routes },
    }),
    ...(enforced && {
      // Its registry (the control plane's) gets the token too, but the auth service, where the
      // token comes from, is looked up with none.
      ...(!options.registry && {
        registry: registryFromEnv(process.env, {
          token: ({ service: name }) => (name === 'auth' ? undefined : enforced.tokens.token()),
        }),
      }),
      guard: enforced.guard,
    }),
  }) as unknown as PlatformService;
  pinoLogger.setBindings({ node: service.server.id });
  let store: Store | undefined = options.store;
  let config: ServiceConfig | undefined;
  let sync: Sync | undefined = options.sync;
  let db: Db | undefined = options.db;
  const owned = {
    store: !options.store,
    sync: !options.sync,
    events: !options.events,
    db: !options.db,
  };
  Object.defineProperties(service, {
    metricsRegistry: { enumerable: true, value: metrics?.registry },
    store: {
      enumerable: true,
      get: () =>
        (store ??= storeFromEnv(process.env, {
          client: service.client,
          database: serviceDatabase(service.name),
        })),
    },
    config: {
      enumerable: true,
      get: () => (config ??= configFor(service, options.config)),
    },
    sync: {
      enumerable: true,
      get: () =>
        (sync ??= syncFromEnv(process.env, { client: service.client, id: service.server.id })),
    },
    db: {
      enumerable: true,
      get: () =>
        (db ??= dbFromEnv(process.env, {
          client: service.client,
          database: serviceDatabase(service.name),
        })),
    },
    logger: { enumerable: true, value: pinoLogger },
    events: {
      enumerable: true,
      get: () =>
        (events ??= eventsFromEnv(process.env, { client: service.client, from: service.name })),
    },
  });
  const stop = service.stop.bind(service);
  let stopping: Promise<void> | undefined;
  service.stop = () =>
    (stopping ??= (async () => {
      // Lines written so far are shipped while the client and events are still open.
      await Promise.all(shippers.map((s) => s.close()));
      // Locks and candidacies go first, so that another node takes over while this one drains.
      if (sync && owned.sync) await sync.close();
      // The spans of the last requests are sent while the client is still open.
      if (tracing) {
        await service.server.stop();
        await tracing.shutdown();
      }
      await routing?.close();
      await stop();
      await config?.close();
      if (store && owned.store) await store.close();
      if (db && owned.db) await db.close();
      if (events && owned.events) await events.close();
      enforced?.close();
      await auth?.close();
    })());
  return service;
}

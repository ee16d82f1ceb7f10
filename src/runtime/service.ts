import type { Registry } from '../registry/registry.ts';
import {
  brokerFromEnv,
  listenFromEnv,
  msFromEnv,
  registryFromEnv,
  serverTlsFromEnv,
  transportFromEnv,
} from './defaults.ts';
import type { Broker } from './broker/broker.ts';
import { connectOnPublish } from './broker/index.ts';
import type {
  CallOptions,
  CallWrapper,
  Client,
  PublishWrapper,
  StreamWrapper,
} from './client/client.ts';
import { closeOpenClients } from './client/open-clients.ts';
import { createClient } from './client/rpc-client.ts';
import type { Handlers } from './client/typed.ts';
import { CodecTable, type Codec } from './codec/index.ts';
import type { ContextOutlet } from './context.ts';
import { createSelector } from './selector/cache.ts';
import type { Selector, Strategy } from './selector/selector.ts';
import type { CallerLimits, ResiliencyPolicy } from './resilience/policy.ts';
import type { HealthCheckFunc, HealthCheckOptions } from './server/checks.ts';
import type { Guard } from './server/guard.ts';
import { limitsFromEnv } from './server/limits.ts';
import type { Observer } from './server/observe.ts';
import type { Handler, HandlerOf, HandlerWrapper } from './server/handler.ts';
import { createServer, stderrLogger } from './server/rpc-server.ts';
import type {
  HandleOptions,
  Logger,
  ServerSubscribeOptions,
  Server,
  SubscriberFunc,
  SubscriberWrapper,
} from './server/server.ts';
import type { ListenOptions, Transport, WebHandler } from './transport/transport.ts';

/** Everything a service can be given; only name is required. */
export interface ServiceOptions {
  /** The name callers and the registry know the service by. */
  name: string;
  /** The version registered (default `latest`). */
  version?: string;
  /**
   * Labels registered with the service version; its `zone` and `region` (else MICRO_ZONE and
   * MICRO_REGION) also go on the node, where selectors prefer nodes of their own zone.
   */
  metadata?: Record<string, string>;
  /** The node id registered (default `<name>-<uuid>`). */
  id?: string;
  /** `host:port` to bind (default MICRO_SERVER_ADDRESS or 127.0.0.1:0). */
  address?: string;
  /** `host:port` to advertise, when it differs. */
  advertise?: string;
  /** Default: MICRO_REGISTRY (micro, the control plane, unless set), at MICRO_REGISTRY_ADDRESS. */
  registry?: Registry;
  /** Default: MICRO_TRANSPORT (tcp, the framed protocol with HTTP on the same port, unless set). */
  transport?: Transport;
  /** Default: MICRO_BROKER (http, peer to peer through the registry, unless set). */
  broker?: Broker;
  /**
   * Carries `durable` subscriptions and publishes (`subscribe(t, fn, {durable: true})`,
   * `client.publish(t, m, {durable: true})`): stored, at least once. The platform's createService
   * gives its events here; without one, durable subscribers and publishes fail.
   */
  durable?: Broker;
  /** How the client finds nodes (default: a caching selector over the registry). */
  selector?: Selector;
  /** How the default selector picks among nodes (default random). */
  strategy?: Strategy;
  /**
   * Resiliency of its calls per target service (timeouts, retries, breakers, bulkheads, retry
   * budgets, hedging); the platform's createService reads MICRO_RESILIENCY into it.
   */
  policy?: ResiliencyPolicy;
  /**
   * Limits per caller of its own endpoints: calls in flight, queue, rate (429 past them); default
   * MICRO_LIMIT_INFLIGHT, MICRO_LIMIT_QUEUE, MICRO_LIMIT_RATE and MICRO_LIMIT_BURST (none if unset).
   */
  limits?: CallerLimits;
  /** The codecs served and called with, the first the default (default json, msgpack, bson). */
  codecs?: Codec[];
  /** Defaults for every call this service's client makes. */
  callDefaults?: CallOptions;
  /** Lease of the registration, in ms (default MICRO_REGISTER_TTL, else 30 s). */
  registerTtl?: number;
  /** Re-registration interval, in ms (default MICRO_REGISTER_INTERVAL, else 10 s). */
  registerInterval?: number;
  /** Runs before each re-registration; a failure deregisters the node until it passes. */
  registerCheck?: () => Promise<void>;
  /** How long stop() waits for the calls in flight, in ms (default 10 s). */
  drainTimeout?: number;
  /** How long stop() lets open streams finish, in ms (default 5 s; 0 ends them at once); then they end with a 503. */
  streamDrainTimeout?: number;
  /**
   * TLS key and certificate; with them the port speaks TLS for both protocols (default
   * MICRO_TLS_CERT, MICRO_TLS_KEY, MICRO_TLS_CA and MICRO_TLS_MUTUAL; none: plain TCP). `false`
   * keeps the port plain whatever the environment says.
   */
  tls?: ListenOptions['tls'] | false;
  /** How the port listens: allowed Hosts and Origins, HTTP timeouts, limits (see ListenOptions). */
  listen?: ListenOptions;
  /**
   * Web pages on the service's own port: HTTP requests that are no call go to this node:http
   * handler, and the service registers as a web app (`handler: web`), which the dashboard serves
   * at `/[name]/` with `X-Micro-Web-Base-Path` set. Needs the tcp transport.
   */
  web?: WebHandler;
  /**
   * Extra HTTP routes on the service's port by exact path (`/metrics`), for requests that are no
   * call; checked like calls (Host, Origin), served before `web`, and not making a web app.
   */
  routes?: ListenOptions['routes'];
  /** Middleware around the handlers' unary endpoints; the first listed is outermost. */
  wrapHandler?: HandlerWrapper[];
  /** Middleware around subscribers; the first listed is outermost. */
  wrapSubscriber?: SubscriberWrapper[];
  /** Middleware around the calls of service.client; the first listed is outermost. */
  wrapCall?: CallWrapper[];
  /** Middleware around the streams service.client opens; the first listed is outermost. */
  wrapStream?: StreamWrapper[];
  /** Middleware around the publishes of service.client; the first listed is outermost. */
  wrapPublish?: PublishWrapper[];
  /** Stop cleanly on SIGTERM and SIGINT while run() is running (default true). */
  handleSignals?: boolean;
  /** Where log lines go (default stderr, each line with the time and the service name). */
  logger?: Logger;
  /** Names or refuses the caller of every call, stream and delivered event (see ServerOptions.guard). */
  guard?: Guard;
  /** Answers Debug.Metrics (see ServerOptions.debugMetrics; the platform's createService fills it). */
  debugMetrics?: () => unknown;
  /** Shown every call, stream and delivered event, and told how it ended (see ServerOptions.observe). */
  observe?: Observer;
}

/**
 * A named service: a server for its handlers, a client for its calls, run until a signal. H is what
 * handle() has added so far, so `typeof service` types a client: `client.service<typeof greeter>()`.
 */
export interface Service<H extends object = object> extends Handlers<H> {
  /** The service's name. */
  readonly name: string;
  /** Serves the handlers and subscribers and keeps the node registered. */
  readonly server: Server;
  /** Calls and publishes as this service: callees see its name as `ctx.from`. */
  readonly client: Client;
  /** How its client picks nodes: its circuits (`selector.circuits()`) and cached views. */
  readonly selector: Selector;
  /** Where the service registers and its client looks services up. */
  readonly registry: Registry;
  /** Carries the subscribers' messages and the client's publishes. */
  readonly broker: Broker;
  /** Serves a handler's methods (functions and endpoint declarations) as `Name.Method` endpoints. */
  handle<const N extends string, T extends Handler>(
    name: N,
    handler: T,
    options?: HandleOptions<NoInfer<T>>,
  ): Service<H & { [K in N]: T }>;
  /** Serves the methods of an object, such as a class instance, as `Name.Method` endpoints. */
  handle<const N extends string, T extends object>(
    name: N,
    handler: T & HandlerOf<T>,
    options?: HandleOptions<NoInfer<T>>,
  ): Service<H & { [K in N]: T }>;
  /** Serves a class instance, named after its class. */
  handle<T extends object>(handler: T & HandlerOf<T>, options?: HandleOptions<NoInfer<T>>): this;
  /** Calls fn for each message on the topic. */
  subscribe(topic: string, fn: SubscriberFunc, options?: ServerSubscribeOptions): this;
  /**
   * Adds a health check Debug.Health reports (and the control plane's monitor reads): fn throws
   * or rejects when failing, a string it returns is its detail; run at start, then every
   * `interval` ms (10 s), failing past `timeout` ms (5 s). A failing `critical` check (the default)
   * makes the node unhealthy, another degraded. A bad or taken name is a TypeError.
   */
  healthCheck(name: string, fn: HealthCheckFunc, options?: HealthCheckOptions): this;
  /** Starts serving; resolves once registered. */
  start(): Promise<void>;
  /** Deregisters, drains and closes. */
  stop(): Promise<void>;
  /** Starts, then on SIGTERM or SIGINT stops and closes the registry, so the process can exit. */
  run(): Promise<void>;
}

/** Creates a service; pass instances, or set MICRO_REGISTRY, MICRO_TRANSPORT and MICRO_BROKER, to choose them. */
export function createService(options: ServiceOptions): Service {
  const registry = options.registry ?? registryFromEnv();
  const logger = options.logger ?? stderrLogger(options.name);
  const transport = options.transport ?? transportFromEnv();
  const broker = options.broker ?? brokerFromEnv(registry);
  const codecs = new CodecTable(options.codecs);
  const selector =
    options.selector ??
    createSelector({ registry, strategy: options.strategy, policy: options.policy });
  const client = createClient({
    registry,
    transport,
    selector,
    codecs,
    broker: connectOnPublish(broker),
    durable: options.durable,
    name: options.name,
    defaults: options.callDefaults,
    policy: options.policy,
    wrappers: options.wrapCall,
    streamWrappers: options.wrapStream,
    publishWrappers: options.wrapPublish,
  });
  const outlet: ContextOutlet = {
    call: (service, endpoint, request, o) => client.call(service, endpoint, request, o),
    publish: (topic, message, o) => client.publish(topic, message, o),
  };
  const server = createServer({
    name: options.name,
    version: options.version,
    id: options.id,
    metadata: options.web ? { ...options.metadata, handler: 'web' } : options.metadata,
    address: options.address ?? process.env.MICRO_SERVER_ADDRESS,
    advertise: options.advertise ?? process.env.MICRO_SERVER_ADVERTISE,
    registry,
    transport,
    broker,
    durable: options.durable,
    codecs,
    registerTtl: options.registerTtl ?? msFromEnv('MICRO_REGISTER_TTL', 30_000),
    registerInterval: options.registerInterval ?? msFromEnv('MICRO_REGISTER_INTERVAL', 10_000),
    registerCheck: options.registerCheck,
    drainTimeout: options.drainTimeout,
    streamDrainTimeout: options.streamDrainTimeout,
    wrappers: options.wrapHandler,
    subscriberWrappers: options.wrapSubscriber,
    tls: options.tls === false ? undefined : (options.tls ?? serverTlsFromEnv()),
    listen: {
      ...listenFromEnv(),
      ...options.listen,
      ...(options.web ? { web: options.web } : {}),
      ...(options.routes ? { routes: { ...options.listen?.routes, ...options.routes } } : {}),
    },
    outlet,
    logger,
    guard: options.guard,
    limits: options.limits ?? limitsFromEnv(),
    debugMetrics: options.debugMetrics,
    observe: options.observe,
  });
  let stopping: Promise<void> | undefined;

  const service: Service = {
    name: options.name,
    server,
    client,
    selector,
    registry,
    broker,
    handle(a: string | object, b?: object, c?: HandleOptions) {
      if (typeof a === 'string') server.handle(a, b as Handler, c);
      else server.handle(a as Handler, b as HandleOptions | undefined);
      return service;
    },
    subscribe(topic, fn, o) {
      server.subscribe(topic, fn, o);
      return this;
    },
    healthCheck(checkName, fn, o) {
      server.healthCheck(checkName, fn, o);
      return this;
    },
    start: () => server.start(),
    stop() {
      stopping ??= (async () => {
        await server.stop();
        await broker.disconnect();
        await options.durable?.disconnect();
        await client.close();
      })();
      return stopping;
    },
    async run() {
      await server.start();
      // Signals are caught before "listening" is said: a supervisor may stop the service as soon
      // as it reads the line.
      const signalled =
        options.handleSignals === false
          ? undefined
          : new Promise<void>((resolve) => {
              const onSignal = (): void => {
                process.off('SIGTERM', onSignal);
                process.off('SIGINT', onSignal);
                resolve();
              };
              process.on('SIGTERM', onSignal);
              process.on('SIGINT', onSignal);
            });
      logger.info(
        `${server.id} listening on ${server.address} (registry: ${registry.name} at ${registry.address})`,
      );
      if (!signalled) return;
      await signalled;
      await service.stop();
      await registry.close();
      // Clients the program made itself would keep the process running.
      await closeOpenClients();
    },
  };
  return service;
}

import type { Registry, Service } from '../../registry/registry.ts';
import type { Broker, DurableOptions } from '../broker/broker.ts';
import type { CodecTable } from '../codec/index.ts';
import type { Context, ContextOutlet } from '../context.ts';
import type { ListenOptions, Transport } from '../transport/transport.ts';
import type { HealthCheckFunc, HealthCheckOptions } from './checks.ts';
import type { Guard } from './guard.ts';
import type { CallerLimits } from '../resilience/policy.ts';
import type { Observer } from './observe.ts';
import type { EndpointOptions, Handler, HandlerOf, HandlerWrapper } from './handler.ts';

/** A subscriber's function: the decoded message and a context with its metadata. */
export type SubscriberFunc = (message: unknown, ctx: Context) => unknown;

/** Server middleware around subscribers. */
export type SubscriberWrapper = (
  next: (message: unknown, ctx: Context) => Promise<unknown>,
) => (message: unknown, ctx: Context) => Promise<unknown>;

/** Where log lines go. */
export interface Logger {
  /** Logs a line of information. */
  info(msg: string): void;
  /** Logs a warning. */
  warn(msg: string): void;
  /** Logs an error. */
  error(msg: string): void;
}

/** Options of a server; everything but name has a default. */
export interface ServerOptions {
  /** The service name registered. */
  name: string;
  /** The version registered (default `latest`). */
  version?: string;
  /**
   * Labels registered with the service version; its `zone` and `region` (else MICRO_ZONE and
   * MICRO_REGION) also go on the node, where selectors prefer nodes of their own zone.
   */
  metadata?: Record<string, string>;
  /** Node id; `<name>-<uuid>` by default. */
  id?: string;
  /** `host:port` to bind; 127.0.0.1:0 by default (loopback, any free port). */
  address?: string;
  /** `host:port` to advertise when it differs from the bound one. */
  advertise?: string;
  /** Where the node registers. */
  registry: Registry;
  /** What the port listens and speaks with. */
  transport: Transport;
  /** Carries the subscribers' messages; needed only when there are subscribers. */
  broker?: Broker;
  /** Carries the `durable` subscribers' messages (at least once); needed only when there are some. */
  durable?: Broker;
  /** The codecs bodies are decoded and encoded with. */
  codecs: CodecTable;
  /** Lease length in ms (default 30 s). */
  registerTtl?: number;
  /** Re-registration interval in ms (default 10 s). */
  registerInterval?: number;
  /** Runs before each re-registration; a failure deregisters the node until it passes. */
  registerCheck?: () => Promise<void>;
  /** How long stop() waits for in-flight requests, in ms (default 10 s). */
  drainTimeout?: number;
  /**
   * How long stop() lets open streams finish, in ms (default 5 s; 0 ends them at once): those still
   * open after it end with a 503, which the caller may retry on another node.
   */
  streamDrainTimeout?: number;
  /** Middleware around unary endpoints; the first listed is outermost. */
  wrappers?: HandlerWrapper[];
  /** Middleware around subscribers; the first listed is outermost. */
  subscriberWrappers?: SubscriberWrapper[];
  /** TLS key and certificate; with them the port speaks TLS for both protocols. */
  tls?: ListenOptions['tls'];
  /** How the port listens: allowed Hosts and Origins, HTTP timeouts, limits (see ListenOptions). */
  listen?: ListenOptions;
  /** Where handlers' ctx.call and ctx.publish go. */
  outlet?: ContextOutlet;
  /** Where log lines go (default stderr, each line with the time and the service name). */
  logger?: Logger;
  /**
   * Names or refuses the caller of every call, stream and delivered event before its handler (the
   * platform's auth fills it); its caller is `ctx.caller`. None by default: nothing is checked.
   */
  guard?: Guard;
  /**
   * Limits per caller (the guard's caller id, else `micro-from-service`, else the peer's host):
   * calls in flight, a queue and a rate; past them a 429 with a retry-after. None by default.
   */
  limits?: CallerLimits;
  /**
   * Answers the built-in Debug.Metrics (the platform's metrics fill it with the node's request
   * counts); without it Debug.Metrics is not served.
   */
  debugMetrics?: () => unknown;
  /**
   * Shown every call, stream and delivered event as it arrives, and told how it ended (the
   * platform's tracing and metrics fill it; see composeObservers for several). None by default.
   */
  observe?: Observer;
}

/** Options for handle(); T is the handler's type, whose methods `endpoints` names. */
export interface HandleOptions<T = Handler> {
  /** Per-method options (schemas, stream kind, metadata) for plain methods, by method name. */
  endpoints?: { [K in keyof T & string]?: EndpointOptions };
}

/** Options for subscribe(). */
export interface ServerSubscribeOptions {
  /** Subscribers sharing a queue name split the messages: each goes to one of them. */
  queue?: string;
  /** Acknowledge when the subscriber resolves (default true). */
  autoAck?: boolean;
  /**
   * At least once: the subscription goes to the service's `durable` broker (the platform's events,
   * given by the platform's createService) instead of its broker, in a consumer group named by
   * `durable.group`, else `queue`, else the service's name; a message is acknowledged when the
   * subscriber resolves and delivered again when it throws. An object is that broker's own options
   * (the platform's EventSubscribeOptions: start, ackTimeout, maxDeliveries, deadLetter, maxInFlight).
   */
  durable?: boolean | DurableOptions;
}

/** The handle() and subscribe() that a server and a service share; both return `this`, to chain. */
export interface Handles {
  /** Serves a handler's methods as `Name.Method` endpoints. */
  handle(name: string, handler: Handler, options?: HandleOptions): this;
  /** Serves the methods of an object, such as a class instance, as `Name.Method` endpoints. */
  handle<T extends object>(
    name: string,
    handler: T & HandlerOf<T>,
    options?: HandleOptions<NoInfer<T>>,
  ): this;
  /** Serves a class instance, named after its class. */
  handle<T extends object>(handler: T & HandlerOf<T>, options?: HandleOptions<NoInfer<T>>): this;
  /** Calls fn for each message on the topic. */
  subscribe(topic: string, fn: SubscriberFunc, options?: ServerSubscribeOptions): this;
}

/** Serves handlers and subscribers, and keeps the node registered while it runs. */
export interface Server extends Handles {
  /** The node id registered. */
  readonly id: string;
  /** The service name registered. */
  readonly name: string;
  /** The version registered. */
  readonly version: string;
  /** The advertised `host:port`, once started. */
  readonly address: string;
  /** Listens, subscribes and registers. */
  start(): Promise<void>;
  /** Deregisters, refuses new calls, waits for in-flight ones and open streams (up to the drain timeouts), then closes. */
  stop(): Promise<void>;
  /** The registry record of this node. */
  record(): Service;
  /**
   * Adds a health check Debug.Health reports, run at start and then every `interval` ms; a bad
   * name (1 to 64 of A-Z a-z 0-9 . _ -), a name taken or a bad option is a TypeError.
   */
  healthCheck(name: string, fn: HealthCheckFunc, options?: HealthCheckOptions): this;
}

/** Stable error codes of servers. */
export const ServerErrors = {
  notStarted: 'MICRO_ERR_SERVER_NOT_STARTED',
  register: 'MICRO_ERR_SERVER_REGISTER',
} as const;

import { randomUUID } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import type { Endpoint, Service } from '../../registry/registry.ts';
import type { DurableOptions, Subscription } from '../broker/broker.ts';
import type { Codec } from '../codec/index.ts';
import { RequestContext, type Context } from '../context.ts';
import { toMicroError } from '../errors.ts';
import { metadataFromHeader } from '../metadata.ts';
import { formatAddress, parseAddress } from '../transport/address.ts';
import type { Listener } from '../transport/transport.ts';
import { zoneMetadata } from '../selector/zone.ts';
import { HealthChecks } from './checks.ts';
import { debugEndpoints, type ServerCounters } from './debug.ts';
import { extractEndpoints, type EndpointEntry } from './handler.ts';
import { createCallerLimiter } from './limits.ts';
import { guardError, Router } from './router.ts';
import type {
  HandleOptions,
  Logger,
  Server,
  ServerOptions,
  ServerSubscribeOptions,
  SubscriberFunc,
} from './server.ts';

interface SubscriberEntry {
  topic: string;
  fn: SubscriberFunc;
  options: ServerSubscribeOptions;
}

/** A durable subscriber's options, its group the one it names, else its queue, else the service. */
function durableOf(o: ServerSubscribeOptions, service: string): DurableOptions {
  const given = typeof o.durable === 'object' ? o.durable : {};
  return { ...given, group: given.group ?? o.queue ?? service };
}

/** The default logger: timestamped lines on stderr. */
export const stderrLogger = (name: string): Logger => ({
  info: (m) => process.stderr.write(`${new Date().toISOString()} ${name} ${m}\n`),
  warn: (m) => process.stderr.write(`${new Date().toISOString()} ${name} warning: ${m}\n`),
  error: (m) => process.stderr.write(`${new Date().toISOString()} ${name} error: ${m}\n`),
});

/** The address other machines can reach when bound to all interfaces. */
function advertisable(bound: string): string {
  // A transport with no socket (nats) listens on a name, not host:port: advertise it as it is.
  if (!/:\d+$/.test(bound)) return bound;
  const { host, port } = parseAddress(bound);
  if (host !== '0.0.0.0' && host !== '::') return bound;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? [])
      if (!a.internal && a.family === 'IPv4') return formatAddress(a.address, port);
  }
  return formatAddress('127.0.0.1', port);
}

function toEndpoint(e: EndpointEntry): Endpoint {
  const metadata: Record<string, string> = { ...e.options.metadata };
  if (e.kind !== 'unary') metadata.stream = e.kind;
  if (e.options.idempotent) metadata.idempotent = 'true';
  return { name: e.name, request: e.json?.request, response: e.json?.response, metadata };
}

/** Creates the default server: the router on a transport listener, registration with a lease, subscribers on the broker. */
export function createServer(options: ServerOptions): Server {
  const name = options.name;
  const version = options.version ?? 'latest';
  const id = options.id ?? `${name}-${randomUUID()}`;
  const logger = options.logger ?? stderrLogger(name);
  const counters: ServerCounters = {
    started: Date.now(),
    requests: 0,
    errors: 0,
    cancelled: 0,
    inflight: 0,
  };
  const limits = options.limits && createCallerLimiter(name, options.limits);
  const router = new Router({
    name,
    codecs: options.codecs,
    counters,
    wrappers: options.wrappers ?? [],
    outlet: options.outlet,
    logger,
    guard: options.guard,
    observe: options.observe,
    limits,
  });
  const guard = options.guard;
  const checks = new HealthChecks();
  for (const e of debugEndpoints(name, version, id, counters, checks, options.debugMetrics))
    router.add(e);
  const subscribers: SubscriberEntry[] = [];
  const subscriptions: Subscription[] = [];
  let listener: Listener | undefined;
  let address = '';
  let heartbeat: NodeJS.Timeout | undefined;
  let registered = false;
  const ttl = options.registerTtl ?? 30_000;
  const tls = options.tls ?? options.listen?.tls;
  const servesTls =
    tls !== undefined && (options.transport.name === 'tcp' || options.transport.name === 'http');
  const interval = options.registerInterval ?? 10_000;
  const where = zoneMetadata(options.metadata); // MICRO_ZONE / MICRO_REGION as at creation

  const record = (): Service => ({
    name,
    version,
    metadata: { ...options.metadata },
    endpoints: [
      ...router
        .entries()
        .filter((e) => !e.internal)
        .map(toEndpoint),
      ...subscribers.map((s) => ({
        name: s.topic,
        metadata: {
          subscriber: 'true',
          topic: s.topic,
          ...(s.options.queue ? { queue: s.options.queue } : {}),
          ...(s.options.durable ? { durable: 'true' } : {}),
        },
      })),
    ],
    nodes: [
      {
        id,
        address,
        metadata: {
          transport: options.transport.name,
          broker: options.broker?.name ?? 'none',
          registry: options.registry.name,
          protocol: 'micro-frame/1',
          'content-types': options.codecs.types().join(','),
          pid: String(process.pid),
          ...where,
          // Clients dial a node with TLS when it says so (the framed protocol has no upgrade).
          ...(servesTls ? { tls: 'on' } : {}),
        },
      },
    ],
  });

  const register = async (): Promise<void> => {
    if (options.registerCheck) {
      try {
        await options.registerCheck();
      } catch (err) {
        if (registered) {
          logger.warn(
            `register check failed, deregistering until it passes: ${(err as Error).message}`,
          );
          await options.registry.deregister(record()).catch(() => undefined);
          registered = false;
        }
        return;
      }
    }
    await options.registry.register(record(), { ttl });
    registered = true;
  };

  const observe = options.observe;
  /** The guard, the decoding and the subscriber of one delivered event. */
  const deliver = async (
    s: SubscriberEntry,
    call: (message: unknown, ctx: Context) => Promise<unknown>,
    codec: Codec,
    body: Uint8Array,
    ctx: RequestContext,
  ): Promise<void> => {
    if (guard) {
      try {
        const caller = guard({
          service: name,
          endpoint: s.topic,
          kind: 'event',
          metadata: ctx.metadata,
          remote: ctx.remote,
        });
        ctx.caller = caller instanceof Promise ? await caller : caller;
      } catch (err) {
        // Refused (or the guard failed): not delivered; the broker sees the error.
        const e = guardError(name, logger, err, `an event on ${s.topic}`);
        if (e.code < 500) logger.warn(`refused an event on ${s.topic}: ${e.detail}`);
        throw e;
      }
    }
    try {
      await call(codec.decode(body), ctx);
    } catch (err) {
      logger.error(`subscriber for ${s.topic} failed: ${(err as Error).message}`);
      throw err;
    }
  };

  const subscribeAll = async (): Promise<void> => {
    if (subscribers.length === 0) return;
    const durable = subscribers.some((s) => s.options.durable);
    if (durable && !options.durable)
      throw new Error(
        `${name} has durable subscribers but no durable broker: create it with the platform's createService (micro-ts), or give it one`,
      );
    if (subscribers.some((s) => !s.options.durable) && !options.broker)
      throw new Error(`${name} has subscribers but no broker`);
    if (durable) await options.durable!.connect();
    if (options.broker && subscribers.some((s) => !s.options.durable))
      await options.broker.connect();
    for (const s of subscribers) {
      const broker = s.options.durable ? options.durable! : options.broker!;
      let call = async (message: unknown, ctx: Context) => s.fn(message, ctx);
      for (const w of [...(options.subscriberWrappers ?? [])].reverse()) call = w(call);
      const sub = await broker.subscribe(
        s.topic,
        async (event) => {
          const codec =
            options.codecs.get(event.message.header['content-type']) ?? options.codecs.default;
          const ctx = new RequestContext(
            name,
            s.topic,
            metadataFromHeader(event.message.header),
            Number.POSITIVE_INFINITY,
            event.message.header['micro-from-service'] ?? '',
            options.outlet,
          );
          const obs = observe?.({
            service: name,
            endpoint: s.topic,
            kind: 'event',
            metadata: ctx.metadata,
            remote: '',
          });
          if (!obs) return deliver(s, call, codec, event.message.body, ctx);
          try {
            await obs.run(() => deliver(s, call, codec, event.message.body, ctx));
          } catch (err) {
            obs.end(toMicroError(err, name), false);
            throw err;
          }
          obs.end(undefined, false);
        },
        {
          queue: s.options.queue,
          autoAck: s.options.autoAck,
          ...(s.options.durable && { durable: durableOf(s.options, name) }),
        },
      );
      subscriptions.push(sub);
    }
  };

  const server: Server = {
    id,
    name,
    version,
    get address() {
      return address;
    },
    handle(a: string | object, b?: object, c?: HandleOptions) {
      const [handlerName, handler, opts] =
        typeof a === 'string'
          ? [a, b, c]
          : [(a.constructor as { name: string }).name, a, b as HandleOptions | undefined];
      if (!handler || typeof handler !== 'object')
        throw new TypeError(`handle(${handlerName}): the handler must be an object`);
      for (const e of extractEndpoints(handlerName, handler, opts?.endpoints)) router.add(e);
      return this;
    },
    subscribe(topic, fn, opts = {}) {
      subscribers.push({ topic, fn, options: opts });
      return this;
    },
    async start() {
      if (listener) return;
      listener = await options.transport.listen(options.address ?? '127.0.0.1:0', router, {
        ...options.listen,
        tls,
      });
      address = options.advertise ?? advertisable(listener.address);
      // The checks' first runs, done before the node registers: its first Debug.Health says them.
      const checked = checks.start();
      try {
        await subscribeAll();
        await checked;
        await register();
      } catch (err) {
        checks.stop();
        await listener.close();
        listener = undefined;
        throw err;
      }
      heartbeat = setInterval(() => {
        register().catch((err: Error) =>
          logger.warn(`re-registering with ${options.registry.address} failed: ${err.message}`),
        );
      }, interval);
      heartbeat.unref();
    },
    async stop() {
      if (!listener) return;
      clearInterval(heartbeat);
      checks.stop();
      await options.registry
        .deregister(record())
        .catch((err: Error) => logger.warn(`deregistering failed: ${err.message}`));
      for (const s of subscriptions.splice(0)) await s.unsubscribe().catch(() => undefined);
      await router.drain({
        calls: options.drainTimeout ?? 10_000,
        streams: options.streamDrainTimeout ?? 5000,
      });
      await listener.close();
      listener = undefined;
      limits?.close();
    },
    record,
    healthCheck(checkName, fn, opts) {
      checks.add(checkName, fn, opts);
      return this;
    },
  };
  return server;
}

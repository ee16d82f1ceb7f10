import type { IncomingMessage } from 'node:http';
import { context, type Tracer } from '@opentelemetry/api';
import fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { pathOf, startHttpSpan, type HttpSpan } from '../../platform/trace/http.ts';
import type { Config } from '../../platform/config/config.ts';
import type { Events } from '../../platform/events/events.ts';
import type { Store } from '../../platform/store/store.ts';
import type { Sync } from '../../platform/sync/sync.ts';
import type { Registry } from '../../registry/registry.ts';
import { RegistryError, RegistryErrors } from '../../registry/registry.ts';
import type { Broker } from '../../runtime/broker/broker.ts';
import type { Client } from '../../runtime/client/client.ts';
import { parseTimeout } from '../../runtime/deadline.ts';
import { MicroError, badRequest, forbidden, notFound, toMicroError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/server/server.ts';
import { formatAddress, parseAddress } from '../../runtime/transport/address.ts';
import { answerClientError } from '../client-error.ts';
import { SERVER_TIMEOUTS } from '../timeouts.ts';
import { refuseUpgrade } from '../errors.ts';
import { MAX_JSON_DEPTH } from '../nesting.ts';
import { DEFAULTS } from '../options.ts';
import { registerApp, type AppOptions, type AppRegistration } from './app.ts';
import { registerBodyParsers } from './body.ts';
import { createBrokerSocket } from './broker-socket.ts';
import { registerDapr } from './dapr/index.ts';
import { SIDECAR_ID as ID, createGuard, requireToken } from './guard.ts';
import { rpcFrom, serviceFrom } from './input.ts';
import type { EdgeAuth } from '../auth/edge.ts';
import { registerSidecarAuth } from '../auth/sidecar.ts';
import { registerSidecarMetrics } from './metrics.ts';
import { routeMetadata } from '../routing.ts';
import type { Routing } from '../../platform/routing/index.ts';

/** Options of the sidecar. */
export interface SidecarOptions {
  /** Where it listens; 127.0.0.1:8081 by default. */
  address?: string;
  registry: Registry;
  client: Client;
  broker: Broker;
  /**
   * When set, every request must carry it: `Authorization: Bearer T`, `micro-sidecar-token: T` or
   * Dapr's `dapr-api-token: T`. Required when the address is not a loopback one.
   */
  token?: string;
  /** Origins whose web pages may call the sidecar (CORS), `*` for any; other pages get 403 (default none). */
  cors?: string[];
  /** Services the sidecar never calls, registers or deregisters (default: the control plane's own, as the gateway). */
  deny?: string[];
  /** The local app to register and health-check. */
  app?: AppOptions;
  /** Largest request body in bytes (default 4 MiB). */
  bodyLimit?: number;
  /** Deepest nesting of arrays and objects in a JSON body or broker frame (default 256). */
  jsonDepth?: number;
  /** Most fields in a form body (default 1000). */
  formFields?: number;
  /** Backs Dapr's pub/sub, `/v1.0/publish/{pubsub}/{topic}` and delivery to the app (absent: publishes go to the broker). */
  events?: Events;
  /** Dapr pubsub names accepted (default `pubsub`). */
  pubsubs?: string[];
  /** Backs Dapr's state API, `/v1.0/state/{store}` (absent: those paths answer 503). */
  store?: Store;
  /** Backs Dapr's configuration API, `/v1.0/configuration/{store}` (absent: 503). */
  config?: Config;
  /** Backs Dapr's lock API, `/v1.0-alpha1/lock/{store}` (absent: 503). */
  sync?: Sync;
  /** micro's version, which `GET /v1.0/metadata` reports as runtimeVersion. */
  version?: string;
  logger: Logger;
  /**
   * Traced (the `sidecar` service's tracer): each request but the health checks is a SERVER span,
   * a child of its `traceparent` header's, and the calls and publishes it makes are its children.
   */
  tracer?: Tracer;
  /**
   * Auth on (`micro sidecar` with MICRO_AUTH=on): every route but the health ones needs a token
   * the rules allow (Bearer, or Dapr's `dapr-api-token`), and the OAuth routes are served
   * (src/proxy/auth). Replaces `token`, which may not be given with it.
   */
  auth?: EdgeAuth;
  /** The traffic rules its client applies: the headers they match on are passed as metadata. */
  routing?: Pick<Routing, 'headers'>;
}

/** A running sidecar. */
export interface Sidecar {
  readonly address: string;
  readonly app: AppRegistration | undefined;
  /** Resolves once the app's Dapr subscriptions are live (at once without an app or Events). */
  readonly subscribed: Promise<void>;
  close(): Promise<void>;
}

function send(reply: FastifyReply, err: unknown): FastifyReply {
  const e = toMicroError(err, ID);
  const status = e.code >= 400 && e.code <= 599 ? e.code : 500;
  return reply.code(status).type('application/json').send(JSON.stringify(e));
}

function registryError(err: unknown): MicroError {
  if (err instanceof RegistryError) {
    if (err.code === RegistryErrors.notFound) return notFound(ID, err.message);
    if (err.code === RegistryErrors.invalid) return badRequest(ID, err.message);
    return new MicroError(ID, 503, err.message);
  }
  if (err instanceof TypeError) return badRequest(ID, err.message);
  return toMicroError(err, ID);
}

/** Fastify's own refusals (a body too large, a bad URL) in the error shape; its failures as a bare 500. */
function frameworkError(err: Error & { statusCode?: number; code?: string }): MicroError {
  if (err instanceof MicroError) return err;
  const status = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500;
  if (status >= 500) return new MicroError(ID, status, 'the sidecar failed');
  const detail =
    err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError
      ? `malformed JSON: ${err.message}`
      : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'send application/json or application/x-www-form-urlencoded'
        : err.message.slice(0, 300);
  return new MicroError(ID, status, detail);
}

/** Paths never traced: the health checks probed every few seconds. */
const UNTRACED = new Set(['/health', '/v1.0/healthz', '/metrics']);

/** Starts a SERVER span per request (ended with its response or its abort), by raw request. */
function traceRequests(app: FastifyInstance, tracer: Tracer): WeakMap<IncomingMessage, HttpSpan> {
  const spans = new WeakMap<IncomingMessage, HttpSpan>();
  app.addHook('onRequest', (req, _reply, done) => {
    const path = pathOf(req.url);
    if (!UNTRACED.has(path)) {
      const route = req.routeOptions.url ?? path;
      spans.set(req.raw, startHttpSpan(tracer, req.method, route, path, req.headers, req.ip));
    }
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    spans.get(req.raw)?.end(reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (req, done) => {
    spans.get(req.raw)?.end(499);
    done();
  });
  return spans;
}

/** Starts the sidecar: the registry, calls, the broker and health over plain HTTP, for apps in any language. */
export async function startSidecar(o: SidecarOptions): Promise<Sidecar> {
  const { host, port } = parseAddress(o.address ?? '127.0.0.1:8081');
  if (o.auth && o.token)
    throw badRequest(
      ID,
      'give the sidecar a token or auth, not both: with auth on, tokens are JWTs',
    );
  requireToken(host, o.token ?? (o.auth ? 'auth' : undefined));
  const jsonDepth = o.jsonDepth ?? MAX_JSON_DEPTH;
  const guard = createGuard(host, o.cors ?? [], o.token);
  const deny = new Set(o.deny ?? DEFAULTS.deny);
  const app = fastify({
    bodyLimit: o.bodyLimit ?? 4 * 1024 * 1024,
    // Node answers an HTTP/1.1 request without Host with an empty 400; the guard does in the shape.
    http: { ...SERVER_TIMEOUTS, requireHostHeader: false },
    clientErrorHandler: answerClientError(ID),
    // A Dapr state key is a path segment and may be 1,024 bytes, percent-encoded up to three times that.
    routerOptions: { maxParamLength: 4096 },
    frameworkErrors: (err, _req, reply) => void send(reply, frameworkError(err)),
  });

  registerBodyParsers(app, { jsonDepth, formFields: o.formFields ?? 1000 });
  // Before the guard's hook, so that requests it refuses are counted too; /metrics is guarded.
  registerSidecarMetrics(app);
  // First of the hooks, so that a refusal is inside the request's span.
  const spans = o.tracer ? traceRequests(app, o.tracer) : undefined;
  /** Runs fn in the request's span's context, when traced. */
  const within = <T>(req: FastifyRequest | undefined, fn: () => T): T => {
    const span = req && spans?.get(req.raw);
    return span ? context.with(span.context, fn) : fn();
  };
  app.setErrorHandler((err: Error, _req, reply) => send(reply, frameworkError(err)));
  app.setNotFoundHandler((req, reply) =>
    send(
      reply,
      notFound(
        ID,
        `no route ${req.method} ${(req.url.split('?')[0] ?? '').slice(0, 200)}; see the sidecar's routes in the README`,
      ),
    ),
  );
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const refused = guard.browser(req.headers, req.raw.httpVersion);
    if (refused) return send(reply, refused);
    const origin = req.headers.origin;
    const cors = guard.cors.headers(origin);
    if (origin !== undefined && cors) {
      const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'];
      if (preflight)
        return reply
          .code(204)
          .headers(guard.cors.preflight(origin, req.headers['access-control-request-headers']))
          .send();
      reply.headers(cors);
    }
    const unauthorized = guard.token(req.headers);
    if (unauthorized) return send(reply, unauthorized);
  });
  const auth = o.auth ? registerSidecarAuth(app, o.auth, o.app?.name ?? 'micro') : undefined;
  const broker = createBrokerSocket(o.client, o.broker, {
    jsonDepth,
    auth: auth && ((req, topic) => auth.socket(req, topic)),
  });

  /** Refuses the services the sidecar does not expose (the control plane's own by default). */
  const exposed = (service: string): string => {
    if (deny.has(service))
      throw forbidden(ID, `service ${service} is not exposed through the sidecar (--sidecar-deny)`);
    return service;
  };
  const call = async (
    service: string,
    endpoint: string,
    request: unknown,
    req: FastifyRequest,
  ): Promise<unknown> => {
    const timeout = parseTimeout(req.headers['micro-timeout'], ID);
    const metadata = routeMetadata(o.routing, req.headers, auth?.metadata(req));
    const to = exposed(service);
    return within(req, () => o.client.call(to, endpoint, request ?? {}, { timeout, metadata }));
  };
  const publish = async (
    topic: string,
    body: unknown,
    req?: FastifyRequest,
  ): Promise<{ published: string }> => {
    const metadata = req && auth?.metadata(req);
    await within(req, () => o.client.publish(topic, body ?? {}, { metadata }));
    return { published: topic };
  };

  const health = () => ({
    status: 'ok',
    ...(registration ? { app: { name: o.app?.name, healthy: registration.healthy } } : {}),
  });
  app.get('/health', async () => health());
  app.get('/v1.0/healthz', async (_req, reply) => reply.code(204).send());

  app.get('/registry', async (req) => {
    const name = (req.query as { service?: unknown }).service;
    if (name !== undefined && typeof name !== 'string')
      throw badRequest(ID, 'service must be given once: /registry?service=NAME');
    try {
      return name ? await o.registry.getService(name) : await o.registry.listServices();
    } catch (err) {
      throw registryError(err);
    }
  });
  app.post('/registry', async (req) => {
    const given = (req.query as { ttl?: unknown }).ttl;
    const ttl = typeof given === 'string' && given.trim() !== '' ? Number(given) : Number.NaN;
    if (given !== undefined && (!Number.isFinite(ttl) || ttl < 0))
      throw badRequest(ID, 'ttl must be a number of seconds');
    const service = serviceFrom(req.body);
    exposed(service.name);
    await o.registry
      .register(service, given === undefined ? {} : { ttl: ttl * 1000 })
      .catch((err: unknown) => {
        throw registryError(err);
      });
    return {};
  });
  app.delete('/registry', async (req) => {
    const service = serviceFrom(req.body);
    exposed(service.name);
    await o.registry.deregister(service).catch((err: unknown) => {
      throw registryError(err);
    });
    return {};
  });

  app.post('/rpc', async (req) => {
    const { service, endpoint, request } = rpcFrom(req.body, jsonDepth);
    return call(service, endpoint, request, req);
  });
  app.post('/publish/:topic', async (req) =>
    publish((req.params as { topic: string }).topic, req.body, req),
  );
  const dapr = registerDapr(app, {
    appId: o.app?.name ?? 'micro',
    version: o.version ?? 'micro',
    appAddress: o.app?.address,
    events: o.events,
    pubsubs: o.pubsubs,
    store: o.store,
    config: o.config,
    sync: o.sync,
    jsonDepth,
    logger: o.logger,
    call,
    publish,
  });
  app.post('/:service/:endpoint', async (req) => {
    const p = req.params as { service: string; endpoint: string };
    return call(p.service, p.endpoint, req.body, req);
  });

  app.server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    try {
      const refused = guard.browser(req.headers, req.httpVersion) ?? guard.token(req.headers);
      if (refused) return refuseUpgrade(socket, refused);
      if (!broker.upgrade(req, socket, head))
        refuseUpgrade(
          socket,
          notFound(ID, 'no WebSocket here: the broker socket is GET /broker?topic=T'),
        );
    } catch {
      // An exception here would end the process: the request fails alone.
      refuseUpgrade(socket, new MicroError(ID, 500, 'the sidecar failed'));
    }
  });

  await app.listen({ host, port });
  const bound = app.server.address();
  const address =
    typeof bound === 'object' && bound ? formatAddress(bound.address, bound.port) : '';
  const registration = o.app ? await registerApp(o.registry, o.app, o.logger) : undefined;
  return {
    address,
    app: registration,
    subscribed: dapr.subscribed,
    async close() {
      await registration?.stop();
      broker.close();
      await app.close();
    },
  };
}

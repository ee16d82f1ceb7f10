import fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { Registry, Service } from '../../registry/registry.ts';
import { RegistryError, RegistryErrors } from '../../registry/registry.ts';
import type { Broker } from '../../runtime/broker/broker.ts';
import type { Client } from '../../runtime/client/client.ts';
import {
  MicroError,
  badRequest,
  notFound,
  toMicroError,
  unauthorized,
} from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/server/server.ts';
import { formatAddress, parseAddress } from '../../runtime/transport/address.ts';
import { registerApp, type AppOptions, type AppRegistration } from './app.ts';
import { createBrokerSocket } from './broker-socket.ts';

const ID = 'micro.sidecar';

/** Options of the sidecar. */
export interface SidecarOptions {
  /** Where it listens; 127.0.0.1:8081 by default. */
  address?: string;
  registry: Registry;
  client: Client;
  broker: Broker;
  /** When set, every request must carry it: `Authorization: Bearer T`, `micro-sidecar-token: T` or Dapr's `dapr-api-token: T`. */
  token?: string;
  /** The local app to register and health-check. */
  app?: AppOptions;
  /** Largest request body in bytes (default 4 MiB). */
  bodyLimit?: number;
  logger: Logger;
}

/** A running sidecar. */
export interface Sidecar {
  readonly address: string;
  readonly app: AppRegistration | undefined;
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

function serviceFrom(body: unknown): Service {
  const s = body as Partial<Service> | undefined;
  if (!s || typeof s !== 'object' || typeof s.name !== 'string')
    throw badRequest(
      ID,
      'the body must be a service: {"name": ..., "nodes": [{"id": ..., "address": ...}]}',
    );
  return {
    name: s.name,
    version: s.version ?? 'latest',
    metadata: s.metadata ?? {},
    endpoints: (s.endpoints ?? []).map((e) => ({ ...e, metadata: e.metadata ?? {} })),
    nodes: (s.nodes ?? []).map((n) => ({ ...n, metadata: n.metadata ?? {} })),
  };
}

/** Starts the sidecar: the registry, calls, the broker and health over plain HTTP, for apps in any language. */
export async function startSidecar(o: SidecarOptions): Promise<Sidecar> {
  const app = fastify({ bodyLimit: o.bodyLimit ?? 4 * 1024 * 1024 });
  const broker = createBrokerSocket(o.client, o.broker);

  // JSON and forms only: anything else is a 415 rather than a string the handlers would misread.
  app.removeContentTypeParser('text/plain');
  // Forms: /rpc accepts service, endpoint and request (a JSON string) as form fields too. `curl -d
  // '{...}'` labels JSON as a form, so a form body that starts like JSON is JSON, as in the gateway.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_req, body, done) => {
      const text = body as string;
      if (!/^\s*[[{]/.test(text)) return done(null, Object.fromEntries(new URLSearchParams(text)));
      try {
        done(null, JSON.parse(text));
      } catch (err) {
        done(badRequest(ID, `malformed JSON: ${(err as Error).message}`), undefined);
      }
    },
  );
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    if (err instanceof MicroError) return send(reply, err);
    const status = err.statusCode ?? 500;
    const detail =
      err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError
        ? `malformed JSON: ${err.message}`
        : err.message;
    return send(reply, new MicroError(ID, status, status >= 500 ? 'the sidecar failed' : detail));
  });
  app.setNotFoundHandler((req, reply) =>
    send(
      reply,
      notFound(
        ID,
        `no route ${req.method} ${req.url.split('?')[0] ?? ''}; see the sidecar's routes in the README`,
      ),
    ),
  );
  if (o.token) {
    const token = o.token;
    app.addHook('onRequest', async (req: FastifyRequest) => {
      const given =
        req.headers['micro-sidecar-token'] ??
        req.headers['dapr-api-token'] ??
        req.headers.authorization?.replace(/^Bearer /, '');
      if (given !== token)
        throw unauthorized(
          ID,
          'a token is required: Authorization: Bearer <token> (or micro-sidecar-token / dapr-api-token)',
        );
    });
  }

  const call = async (
    service: string,
    endpoint: string,
    request: unknown,
    req: FastifyRequest,
  ): Promise<unknown> => {
    const timeout = Number(req.headers['micro-timeout']) || undefined;
    return o.client.call(service, endpoint, request ?? {}, { timeout });
  };
  const publish = async (topic: string, body: unknown): Promise<{ published: string }> => {
    await o.client.publish(topic, body ?? {});
    return { published: topic };
  };

  const health = () => ({
    status: 'ok',
    ...(registration ? { app: { name: o.app?.name, healthy: registration.healthy } } : {}),
  });
  app.get('/health', async () => health());
  app.get('/v1.0/healthz', async (_req, reply) => reply.code(204).send());

  app.get('/registry', async (req) => {
    const name = (req.query as { service?: string }).service;
    try {
      return name ? await o.registry.getService(name) : await o.registry.listServices();
    } catch (err) {
      throw registryError(err);
    }
  });
  app.post('/registry', async (req) => {
    const ttl = Number((req.query as { ttl?: string }).ttl ?? 0);
    if (!Number.isFinite(ttl) || ttl < 0) throw badRequest(ID, 'ttl must be a number of seconds');
    await o.registry.register(serviceFrom(req.body), { ttl: ttl * 1000 }).catch((err: unknown) => {
      throw registryError(err);
    });
    return {};
  });
  app.delete('/registry', async (req) => {
    await o.registry.deregister(serviceFrom(req.body)).catch((err: unknown) => {
      throw registryError(err);
    });
    return {};
  });

  app.post('/rpc', async (req) => {
    const b = (req.body ?? {}) as {
      service?: string;
      endpoint?: string;
      method?: string;
      request?: unknown;
    };
    const endpoint = b.endpoint ?? b.method;
    if (!b.service || !endpoint)
      throw badRequest(
        ID,
        'the body needs service and endpoint: {"service":"greeter","endpoint":"Say.Hello","request":{...}}',
      );
    let request = b.request;
    if (typeof request === 'string') {
      try {
        request = JSON.parse(request);
      } catch (err) {
        throw badRequest(ID, `request is not JSON: ${(err as Error).message}`);
      }
    }
    return call(b.service, endpoint, request, req);
  });
  app.post('/publish/:topic', async (req) =>
    publish((req.params as { topic: string }).topic, req.body),
  );
  app.post('/v1.0/publish/:pubsub/:topic', async (req, reply) => {
    await publish((req.params as { topic: string }).topic, req.body);
    return reply.code(204).send();
  });
  app.all('/v1.0/invoke/:app/method/:method', async (req) => {
    const p = req.params as { app: string; method: string };
    return call(p.app, p.method, req.body, req);
  });
  app.post('/:service/:endpoint', async (req) => {
    const p = req.params as { service: string; endpoint: string };
    return call(p.service, p.endpoint, req.body, req);
  });

  app.server.on('upgrade', (req, socket, head) => {
    const given =
      req.headers['micro-sidecar-token'] ??
      req.headers['dapr-api-token'] ??
      req.headers.authorization?.replace(/^Bearer /, '');
    if (o.token && given !== o.token) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    if (!broker.upgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
  });

  const { host, port } = parseAddress(o.address ?? '127.0.0.1:8081');
  await app.listen({ host, port });
  const bound = app.server.address();
  const address =
    typeof bound === 'object' && bound ? formatAddress(bound.address, bound.port) : '';
  const registration = o.app ? await registerApp(o.registry, o.app, o.logger) : undefined;
  return {
    address,
    app: registration,
    async close() {
      await registration?.stop();
      broker.close();
      await app.close();
    },
  };
}

import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { context } from '@opentelemetry/api';
import { tracingFromEnv } from '../platform/trace/enable.ts';
import { policyFromEnv } from '../platform/routing/policy-file.ts';
import { pathOf, startHttpSpan, type HttpSpan } from '../platform/trace/http.ts';
import { stderrLogger } from '../runtime/server/rpc-server.ts';
import { createClient } from '../runtime/client/rpc-client.ts';
import { CodecTable, codecs } from '../runtime/codec/index.ts';
import { registryFromEnv } from '../runtime/defaults.ts';
import { MicroError, badRequest, forbidden, methodNotAllowed } from '../runtime/errors.ts';
import { hostAllowed } from '../runtime/http-guard.ts';
import { createSelector } from '../runtime/selector/cache.ts';
import { formatAddress, parseAddress } from '../runtime/transport/address.ts';
import { createCatalog } from './catalog.ts';
import { answerClientError } from './client-error.ts';
import { createPassthroughJsonCodec } from './codec.ts';
import { createCors } from './cors.ts';
import { asError, foreignHost, refuseUpgrade, tooManyRequests } from './errors.ts';
import type { HandlerDeps } from './handlers/deps.ts';
import { serveEvent } from './handlers/event.ts';
import { createHttpProxy } from './handlers/http.ts';
import { serveSse, streamKind } from './handlers/stream.ts';
import { serveUnary } from './handlers/unary.ts';
import { gatewayRequest, readBody, send, sendError, unparsedRequest } from './http-io.ts';
import { createLogger } from '../platform/logs/logger.ts';
import { loggerRequestLog } from './log.ts';
import { createMetrics } from './metrics.ts';
import { createOpenApiCache } from './openapi-cache.ts';
import { openApiScope, serveOpenApi } from './handlers/openapi.ts';
import {
  GATEWAY_ID,
  type Gateway,
  type GatewayContext,
  type GatewayOptions,
  type GatewayRequest,
  type Target,
} from './proxy.ts';
import { createRateLimiter } from '../runtime/resilience/rate-limit.ts';
import { metadataFrom, rpcRequest } from './request.ts';
import { createTargetResolver } from './target.ts';
import { createUpgradeHandler } from './upgrade.ts';
import { withDefaults } from './options.ts';
import { createGatewayAuth, type GatewayCaller } from './auth/gateway.ts';
import { edgeRouting, routedWrappers } from './routing.ts';
import { redacted, refusalHeaders } from './auth/edge.ts';
import { rpcBody } from './handlers/rpc-body.ts';
import { listenError, listenServer } from './gateway-listen.ts';
import { gatewayMcp } from './mcp/gateway.ts';

/** The label a request log line gives its target. */
const describe = (t: Target | undefined): string =>
  !t
    ? ''
    : t.kind === 'openapi'
      ? `openapi ${t.service ?? ''}`.trim()
      : 'endpoint' in t
        ? `${t.service} ${t.endpoint}`
        : 'service' in t
          ? `${t.service} (${t.kind})`
          : 'topic' in t
            ? `event ${t.topic}`
            : '';

/** Starts an API gateway: HTTP in, RPC (or proxied HTTP) out, for every service in the registry. */
export async function createGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const o = withDefaults({
    ...options,
    address: options.address ?? (process.env.MICRO_API_ADDRESS || undefined),
  });
  const registry = options.registry ?? registryFromEnv();
  // MICRO_RESILIENCY: a Dapr Resiliency file; its scopes name the gateway `api`.
  const policy =
    options.policy ??
    policyFromEnv(process.env, { app: 'api', warn: (m) => stderrLogger('micro api').warn(m) });
  const selector = createSelector({ registry, policy });
  // Traced as the service `api` (MICRO_TRACE=off or trace: false: not at all).
  const tracing =
    options.trace === false
      ? undefined
      : (options.trace ??
        tracingFromEnv(process.env, {
          service: 'api',
          node: `api-${randomUUID()}`,
          client: () => client,
          logger: stderrLogger('micro api'),
        }));
  // Traffic rules (unless MICRO_ROUTES=off), the headers they match on passed as metadata.
  const routing = edgeRouting(process.env, registry);
  const client = createClient({
    registry,
    selector,
    policy,
    codecs: new CodecTable([createPassthroughJsonCodec(), codecs.msgpack()]),
    ...(tracing && {
      wrappers: [tracing.wrapCall],
      streamWrappers: [tracing.wrapStream],
      publishWrappers: [tracing.wrapPublish],
    }),
    ...routedWrappers(routing, tracing),
  });
  const catalog = createCatalog({ registry });
  const where = `${registry.name} at ${registry.address}`;
  const mcp = gatewayMcp(options.mcp, {
    registry,
    client,
    version: o.version,
    verifier: options.auth?.verifier,
    allowedOrigins: o.cors,
    logger: stderrLogger('micro api'),
  });
  const targets = createTargetResolver({
    mcp: mcp !== undefined,
    catalog,
    namespace: o.namespace,
    handler: o.handler,
    deny: o.deny,
    where,
    nameLength: o.limits.nameLength,
  });
  const metrics = createMetrics(() => selector.circuits?.() ?? []);
  const deps: HandlerDeps = {
    client,
    selector,
    metrics,
    timeout: o.timeout,
    retries: o.retries,
    limits: o.limits,
    policy,
  };
  const proxy = createHttpProxy(deps);
  const cors = createCors(o.cors);
  const limiter =
    o.rateLimit > 0 ? createRateLimiter(o.rateLimit, o.rateBurst || undefined) : undefined;
  const log =
    o.log === false ? undefined : (o.log ?? loggerRequestLog(createLogger({ service: 'api' })));
  const openapi = createOpenApiCache(catalog, {
    namespace: o.namespace,
    deny: o.deny,
    version: o.version,
  });

  /** The service and endpoint (or topic) a request was resolved to, as labels. */
  const labelsOf = (t: Target | undefined): [string, string] => [
    // A document's service is not a label: any name may be asked for, and labels must stay few.
    t && t.kind !== 'openapi' && 'service' in t ? t.service : '',
    t && 'endpoint' in t ? t.endpoint : t && 'topic' in t ? t.topic : '',
  ];

  const record = (
    req: GatewayRequest,
    url: string,
    status: number,
    t0: number,
    t: Target | undefined,
  ): void => {
    const ms = performance.now() - t0;
    const [service, endpoint] = labelsOf(t);
    metrics.observe(t?.kind ?? 'none', service, endpoint, status, ms / 1000);
    log?.({ ip: req.ip, method: req.method, url: redacted(url), status, ms, target: describe(t) });
  };

  const dispatch = async (
    raw: IncomingMessage,
    res: ServerResponse,
    req: GatewayRequest,
    body: Buffer | undefined,
    ctx: GatewayContext,
    given: unknown,
    who: GatewayCaller | undefined,
  ): Promise<void> => {
    const t = ctx.target;
    switch (t.kind) {
      case 'mcp':
        return mcp?.serve(raw, res, body, req, who);
      case 'root':
        return send(res, 200, JSON.stringify({ name: 'micro api', version: o.version }));
      case 'openapi':
        return serveOpenApi(openapi, req, res, openApiScope(req, t.service, o.limits.nameLength));
      case 'metrics': {
        const m = await metrics.render();
        return send(res, 200, m.body, m.contentType);
      }
      case 'event':
        return serveEvent(deps, req, body, t.topic, ctx.metadata, res);
      case 'http':
      case 'web':
        return proxy.forward(req, raw.url ?? req.path, body, t, ctx.metadata, res);
    }
    const kind = streamKind(t);
    if (req.headers.accept?.includes('text/event-stream')) {
      const value = given ?? rpcRequest(req, body, t.record?.request, t.params, o.limits);
      return void (await serveSse(deps, res, t, value, ctx.metadata));
    }
    if (kind === 'server')
      throw new MicroError(
        GATEWAY_ID,
        406,
        `${t.endpoint} is a server stream: ask for text/event-stream (Accept header) or open a WebSocket on this path`,
      );
    if (kind !== 'unary')
      throw badRequest(
        GATEWAY_ID,
        `${t.endpoint} is a ${kind} stream: open a WebSocket on this path`,
      );
    return serveUnary(deps, req, body, t, ctx.metadata, res, given);
  };

  /** CORS and preflight; true when the request was answered here. */
  const corsAnswered = (req: GatewayRequest, res: ServerResponse): boolean => {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      const h = cors.headers(origin);
      if (h) for (const k in h) res.setHeader(k, h[k] as string);
    }
    if (req.method !== 'OPTIONS') return false;
    const asked = req.headers['access-control-request-method'];
    if (origin !== undefined && asked !== undefined) {
      if (!cors.allows(origin))
        throw forbidden(
          GATEWAY_ID,
          `origin ${origin} is not allowed (the gateway's CORS list: --api-cors)`,
        );
      const h = cors.preflight(origin, req.headers['access-control-request-headers']);
      for (const k in h) res.setHeader(k, h[k] as string);
    }
    res.writeHead(204, { allow: 'GET, POST, PUT, PATCH, DELETE, OPTIONS' });
    res.end();
    return true;
  };

  const hostOk = hostAllowed(o.address, o.allowedHosts);
  const auth = options.auth ? createGatewayAuth(options.auth) : undefined;

  const handle = async (
    raw: IncomingMessage,
    res: ServerResponse,
    span?: HttpSpan,
  ): Promise<void> => {
    const t0 = performance.now();
    let req: GatewayRequest | undefined;
    let target: Target | undefined;
    let resolved: [string, string] | undefined;
    metrics.inflight(1);
    try {
      if (!hostOk(raw.headers)) {
        res.shouldKeepAlive = false;
        throw foreignHost(raw.headers.host);
      }
      req = gatewayRequest(raw, o.limits);
      if (corsAnswered(req, res)) return;
      if (limiter) {
        const wait = limiter.take(req.ip);
        if (wait > 0) {
          res.setHeader('retry-after', String(Math.ceil(wait)));
          throw tooManyRequests(
            `${req.ip} sent more than ${o.rateLimit} requests a second; retry after ${wait.toFixed(2)} s`,
          );
        }
      }
      if (auth && (await auth.oauth(raw, res, req))) return;
      // A bad token is refused before the body is read.
      const who = auth?.caller(req);
      const caller = who instanceof Promise ? await who : who; // undefined: auth off
      const body = await readBody(raw, res, o.bodyLimit);
      let given: unknown;
      if (req.path === '/rpc')
        ({ target, request: given } = await rpcBody(targets, req, body, o.limits));
      else {
        const resolved = targets.resolve(req);
        target = resolved instanceof Promise ? await resolved : resolved;
      }
      // Calls, events and proxied requests; the gateway's own paths have no service.
      resolved = labelsOf(target);
      if (resolved[0] === '') resolved = undefined;
      else metrics.endpointInflight(resolved[0], resolved[1], 1);
      const headers = routing ? routing.headers(o.headers) : o.headers;
      const ctx: GatewayContext = { target, metadata: metadataFrom(req, headers) };
      if (caller) auth?.check(req, target, caller, ctx.metadata);
      for (const m of o.middleware) await m(req, ctx);
      await dispatch(raw, res, req, body, ctx, given, caller);
    } catch (err) {
      const headers = refusalHeaders(err);
      if (headers && !res.headersSent) for (const k in headers) res.setHeader(k, headers[k]!);
      sendError(res, asError(err));
    } finally {
      metrics.inflight(-1);
      if (resolved) metrics.endpointInflight(resolved[0], resolved[1], -1);
      record(req ?? unparsedRequest(raw), raw.url ?? '/', res.statusCode, t0, target);
      span?.end(res.statusCode);
    }
  };

  // Each request in its SERVER span's context, but the scrapes of /metrics.
  const tracer = tracing?.tracer;
  const listener: RequestListener = tracer
    ? (raw, res) => {
        const method = raw.method ?? 'GET';
        const path = pathOf(raw.url);
        if (path === '/metrics') return void handle(raw, res);
        const span = startHttpSpan(
          tracer,
          method,
          path,
          path,
          raw.headers,
          raw.socket.remoteAddress,
        );
        context.with(span.context, () => void handle(raw, res, span));
      }
    : (raw, res) => void handle(raw, res);
  const server = listenServer(options.tls, listener);
  server.on('clientError', answerClientError(GATEWAY_ID));
  // Without these listeners Node answers an unknown Expect with a bare 417, and closes a CONNECT
  // without a word (the gateway is no forward proxy).
  server.on('checkExpectation', (raw: IncomingMessage, res: ServerResponse) => {
    const expect = JSON.stringify(String(raw.headers.expect).slice(0, 100));
    sendError(
      res,
      new MicroError(GATEWAY_ID, 417, `Expect: ${expect} is not supported; only 100-continue is`),
    );
  });
  server.on('connect', (_raw: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    refuseUpgrade(socket, methodNotAllowed(GATEWAY_ID, 'CONNECT: the gateway is not a proxy'));
  });
  const upgrade = createUpgradeHandler({
    deps,
    targets,
    cors,
    limiter,
    proxy,
    headers: o.headers,
    middleware: o.middleware,
    bodyLimit: o.bodyLimit,
    limits: o.limits,
    hostOk,
    record,
    auth,
  });
  server.on('upgrade', (raw: IncomingMessage, socket: Duplex, head: Buffer) =>
    upgrade.handle(raw, socket, head),
  );

  const { host, port } = parseAddress(o.address);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await mcp?.close();
    catalog.close();
    limiter?.close();
    await tracing?.shutdown();
    await routing?.close();
    await client.close();
    if (!options.registry) await registry.close();
    throw listenError(err, o.address);
  }
  const bound = server.address();
  const address = typeof bound === 'object' && bound ? formatAddress(host, bound.port) : o.address;
  if (options.announce ?? !options.registry)
    process.stderr.write(
      `micro api listening on ${options.tls ? 'https' : 'http'}://${address} (registry: ${where})\n`,
    );
  let closing: Promise<void> | undefined;
  return {
    address,
    close() {
      closing ??= (async () => {
        await mcp?.close();
        catalog.close();
        limiter?.close();
        upgrade.close();
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeAllConnections();
        await proxy.close();
        await closed;
        await tracing?.shutdown();
        await routing?.close();
        await client.close();
        if (!options.registry) await registry.close();
      })();
      return closing;
    },
  };
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MAX_JSON_DEPTH, useBoundedJsonParser } from '../../proxy/nesting.ts';
import {
  MicroError,
  RegistryError,
  RegistryErrors,
  badRequest,
  forbidden,
  notFound,
  toMicroError,
  type Client,
  type Registry,
} from '../../runtime/index.ts';
import type { Db } from '../../platform/db/db.ts';
import type { Events } from '../../platform/events/events.ts';
import type { Trace } from '../../platform/trace/trace.ts';
import type { Logs } from '../../platform/logs/logs.ts';
import type { Metrics } from '../../platform/metrics/metrics.ts';
import { registerArea } from './area-routes.ts';
import { AUTH_ROUTES } from './auth-area.ts';
import { BOT_ROUTES } from './bot-area.ts';
import { DB_ROUTES } from './db-area.ts';
import { EVENTS_ROUTES } from './events-area.ts';
import { LOGS_ROUTES } from './logs-area.ts';
import { registerLogsStream } from './logs-stream.ts';
import { registerEventsStream } from './events-stream.ts';
import { METRICS_ROUTES } from './metrics-area.ts';
import { MCP_ROUTES, mcpArea } from './mcp-area.ts';
import { ROUTES_ROUTES } from './routes-area.ts';
import type { Routes } from '../../platform/routing/routing.ts';
import type { Feed } from './feed.ts';
import { sameOriginJson } from './guard.ts';
import { checkHealth } from './health.ts';
import { registerPlatform } from './platform.ts';
import { registerStoreWatch, type StoreWatches } from './store-watch.ts';
import { TRACE_ROUTES } from './trace-area.ts';
import { compareNatural } from '../../registry/listing.ts';
import type { ServiceSummary } from './summary.ts';
import type { SessionVerifier } from './session.ts';
import { WEB_ID, type Terminal, type WebMcp } from './web.ts';

/** What the dashboard's JSON routes need. */
export interface ApiOptions {
  feed: Feed;
  registry: Registry;
  client: Client;
  terminal?: Terminal;
  /** The events area the platform page reads (durable topics, groups, the platform's events). */
  events?: Events;
  /** The db area the collection browser reads and writes. */
  db?: Db;
  /** The traces the Traces and Service map pages read. */
  trace?: Trace;
  /** The logs the Logs page reads and follows live. */
  logs?: Logs;
  /** The metrics area the Metrics page reads. */
  metrics?: Metrics;
  /** The traffic rules the Routes page reads. */
  routes?: Routes;
  /** The tools the MCP page lists; with the verifier (auth on), those the user may call. */
  mcp?: WebMcp;
  verifier?: SessionVerifier;
  callTimeout: number;
  healthTimeout: number;
}

/** The body of POST /_/api/call. */
interface CallBody {
  service?: unknown;
  endpoint?: unknown;
  request?: unknown;
  version?: unknown;
}

/** Registry failures with their wire codes: not found 404, invalid 400, unreachable 503. */
function asMicroError(err: unknown): MicroError {
  if (err instanceof RegistryError) {
    const code =
      err.code === RegistryErrors.notFound ? 404 : err.code === RegistryErrors.invalid ? 400 : 503;
    return new MicroError(WEB_ID, code, err.message);
  }
  return toMicroError(err, WEB_ID);
}

/** Sends an error as its JSON shape (`{error}`) with its code as the HTTP status. */
export function fail(
  reply: FastifyReply,
  err: unknown,
  extra: Record<string, unknown> = {},
): FastifyReply {
  const e = asMicroError(err);
  const status = e.code >= 400 && e.code <= 599 ? e.code : 500;
  return reply.code(status).send({ error: e.toJSON(), ...extra });
}

const text = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || v === '') throw badRequest(WEB_ID, `${what} is required`);
  return v;
};

/**
 * Answers fastify's own failures (malformed JSON, a form body, too large, a bad URL) in the same
 * shape as the rest: `{error}` under /_/api, which the pages read, the bare shape elsewhere.
 */
export function answerError(
  err: Error & { statusCode?: number; code?: string },
  req: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (err instanceof MicroError || err instanceof RegistryError) return fail(reply, err);
  const status = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500;
  const detail =
    status >= 500
      ? 'the dashboard failed'
      : err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError
        ? `malformed JSON: ${err.message}`
        : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? `send JSON (content-type: application/json), not ${req.headers['content-type'] ?? 'no content type'}`
          : err.message.slice(0, 300);
  const e = new MicroError(WEB_ID, status, detail);
  return req.url.startsWith('/_/api/') ? fail(reply, e) : reply.code(status).send(e.toJSON());
}

/** Most summaries one page of GET /_/api/services?summary holds. */
export const MAX_PAGE = 10_000;

/** What GET /_/api/services?summary was asked for. */
interface ListQuery {
  prefix: string;
  after: string;
  limit: number;
}

/** The summary form's options, or undefined for the full list; a hostile value is a 400. */
function listQuery(q: Record<string, unknown>): ListQuery | undefined {
  const one = (key: string): string | undefined => {
    const v = q[key];
    if (v !== undefined && typeof v !== 'string')
      throw badRequest(WEB_ID, `${key} must be given once: /_/api/services?summary&${key}=...`);
    return v;
  };
  const summary = one('summary');
  const [prefix, after, limit] = [one('prefix'), one('after'), one('limit')];
  if (summary === undefined || summary === '0' || summary === 'false') {
    if (prefix !== undefined || after !== undefined || limit !== undefined)
      throw badRequest(WEB_ID, 'prefix, after and limit page the summary form: add ?summary');
    return undefined;
  }
  const n = limit === undefined ? MAX_PAGE : Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE)
    throw badRequest(
      WEB_ID,
      `limit must be a whole number from 1 to ${MAX_PAGE}, not ${limit?.slice(0, 20)}`,
    );
  return { prefix: prefix ?? '', after: after ?? '', limit: n };
}

/** One page of summaries: names with the prefix after the cursor, and the cursor of the next. */
function pageOf(all: ServiceSummary[], q: ListQuery) {
  const matching = q.prefix ? all.filter((s) => s.name.startsWith(q.prefix)) : all;
  const start = q.after ? matching.findIndex((s) => compareNatural(s.name, q.after) > 0) : 0;
  const services = start < 0 ? [] : matching.slice(start, start + q.limit);
  const last = services.at(-1);
  const more = start >= 0 && start + q.limit < matching.length;
  return { services, total: matching.length, ...(more && last ? { next: last.name } : {}) };
}

/**
 * Adds the JSON routes under /_/api: services, topics, one service, call, health, terminal, and
 * the platform's store, config, sync, events, db and logs; returns the open streams (store watches and
 * platform event streams), to close with the dashboard.
 */
export function registerApi(app: FastifyInstance, o: ApiOptions): StoreWatches {
  useBoundedJsonParser(app, MAX_JSON_DEPTH, WEB_ID);
  app.setErrorHandler(answerError);

  // Calls and terminal commands act on services: only the dashboard's own pages may send them.
  app.addHook('preHandler', async (req, reply) => {
    if (req.method === 'POST' && !sameOriginJson(req.raw))
      return fail(
        reply,
        forbidden(WEB_ID, 'send JSON (content-type: application/json) from the dashboard itself'),
      );
  });

  // GET /_/api/services: every service version in full, `{services}`. With ?summary: one
  // ServiceSummary per name in natural order, `{services, total, next?}`, narrowed by ?prefix= and
  // paged by ?limit= (1 to MAX_PAGE) and ?after=<the previous page's next>.
  app.get<{ Querystring: Record<string, unknown> }>('/_/api/services', async (req, reply) => {
    try {
      const query = listQuery(req.query);
      await o.feed.ready;
      if (!query) return { services: o.feed.services() };
      return pageOf(o.feed.summaries(), query);
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.get('/_/api/topics', async () => {
    await o.feed.ready;
    return { topics: o.feed.topics() };
  });

  app.get<{ Querystring: { name?: string } }>('/_/api/service', async (req, reply) => {
    try {
      const name = text(req.query.name, 'the service name (?name=)');
      const versions = await o.registry.getService(name);
      versions.sort((a, b) => compareNatural(a.version, b.version));
      return { name, versions };
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.post<{ Body: CallBody }>('/_/api/call', async (req, reply) => {
    const t0 = performance.now();
    const ms = (): number => Math.round((performance.now() - t0) * 10) / 10;
    try {
      const body = req.body ?? {};
      const service = text(body.service, 'service');
      const endpoint = text(body.endpoint, 'endpoint');
      const version = typeof body.version === 'string' && body.version ? body.version : undefined;
      if (version) {
        // The selector answers an unknown version with a 503 (no node); it is the caller's mistake.
        const versions = o.feed.get(service) ?? (await o.registry.getService(service));
        if (!versions.some((v) => v.version === version))
          throw notFound(
            WEB_ID,
            `service ${service} has no version ${version}; it has ${versions.map((v) => v.version).join(', ')}`,
          );
      }
      const rsp = await o.client.request(service, endpoint, body.request ?? {}, {
        timeout: o.callTimeout,
        ...(version ? { version } : {}),
      });
      return {
        response: rsp.body,
        metadata: rsp.metadata,
        node: { id: rsp.node.id, address: rsp.node.address },
        ms: ms(),
      };
    } catch (err) {
      return fail(reply, err, { ms: ms() });
    }
  });

  app.get<{ Querystring: { service?: unknown } }>('/_/api/health', async (req, reply) => {
    try {
      const name = req.query.service;
      if (name !== undefined && typeof name !== 'string')
        throw badRequest(WEB_ID, 'service must be given once: /_/api/health?service=NAME');
      const versions = name
        ? await o.registry.getService(name)
        : (await o.feed.ready, o.feed.services());
      return { nodes: await checkHealth(o.client, versions, o.healthTimeout) };
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.post<{ Body: { line?: unknown } }>('/_/api/terminal', async (req, reply) => {
    if (!o.terminal)
      return fail(reply, new MicroError(WEB_ID, 501, 'this dashboard has no terminal'));
    const line = req.body?.line;
    if (typeof line !== 'string') return fail(reply, badRequest(WEB_ID, 'line is required'));
    return o.terminal(line);
  });

  registerPlatform(app, { client: o.client, timeout: o.callTimeout, fail });
  registerPlatform(app, { client: o.client, timeout: o.callTimeout, fail, routes: AUTH_ROUTES });
  const watches = registerStoreWatch(app, { client: o.client, fail });
  registerArea(app, { name: 'events', area: o.events, routes: EVENTS_ROUTES, fail });
  registerArea(app, { name: 'db', area: o.db, routes: DB_ROUTES, fail });
  const trace = o.trace && { trace: o.trace, client: o.client };
  registerArea(app, { name: 'trace', area: trace, routes: TRACE_ROUTES, fail });
  registerArea(app, { name: 'metrics', area: o.metrics, routes: METRICS_ROUTES, fail });
  registerArea(app, { name: 'routes', area: o.routes, routes: ROUTES_ROUTES, fail });
  const mcp = o.mcp && mcpArea(o.mcp, o.feed, o.verifier);
  registerArea(app, { name: 'mcp', area: mcp, routes: MCP_ROUTES, fail });
  const bot = { feed: o.feed, client: o.client, timeout: o.healthTimeout };
  registerArea(app, { name: 'bot', area: bot, routes: BOT_ROUTES, fail });
  const streams = registerEventsStream(app, { events: o.events, fail });
  registerArea(app, { name: 'logs', area: o.logs, routes: LOGS_ROUTES, fail });
  const tails = registerLogsStream(app, { logs: o.logs, fail });

  app.all('/_/api/*', async (req, reply) =>
    fail(reply, notFound(WEB_ID, `no dashboard API at ${req.method} ${req.url}`)),
  );
  return {
    close() {
      watches.close();
      streams.close();
      tails.close();
    },
  };
}

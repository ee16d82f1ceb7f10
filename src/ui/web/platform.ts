// The dashboard's routes to the platform services (store, config, sync, monitor): each one route of a table
// that names the service's endpoint and the fields it passes on, so the pages read and change them
// through the dashboard as they call other services: over RPC, by the dashboard's client.
//
// Reads are GETs whose query holds the request's fields (numbers and booleans parsed); changes are
// POSTs of a JSON body, which the dashboard's POST guard (sameOriginJson) admits only from its own
// pages. A field the route does not know is a 400 naming it; everything else (types, limits,
// schemas) the service itself checks, and its error reaches the page as it was, e.g. the 400 of a
// config change that fails the namespace's schema.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { badRequest, type Client } from '../../runtime/index.ts';
import { WEB_ID } from './web.ts';

/** How a GET's query value becomes a request field (`json`: a POST's value, any JSON). */
export type Kind = 'text' | 'number' | 'boolean' | 'json';

/** One route: the service and endpoint it calls, and the fields it takes. */
export interface PlatformRoute {
  method: 'GET' | 'POST';
  service: 'store' | 'config' | 'sync' | 'auth' | 'monitor';
  endpoint: string;
  /** The fields passed on; GET parses them by kind, POST passes the JSON values as they are. */
  fields: Record<string, Kind>;
}

/** A GET route to a service's endpoint, taking these fields from the query. */
export const get = (
  service: PlatformRoute['service'],
  endpoint: string,
  fields: Record<string, Kind> = {},
): PlatformRoute => ({ method: 'GET', service, endpoint, fields });
/** A POST route to a service's endpoint, taking these fields from the JSON body. */
export const post = (
  service: PlatformRoute['service'],
  endpoint: string,
  fields: Record<string, Kind>,
): PlatformRoute => ({ method: 'POST', service, endpoint, fields });

const ns = { database: 'text', table: 'text' } as const;
const scope = { namespace: 'text' } as const;

/** Every platform route, by its path under /_/api/. */
export const PLATFORM_ROUTES: Readonly<Record<string, PlatformRoute>> = {
  'store/namespaces': get('store', 'Store.Namespaces'),
  'store/list': get('store', 'Store.List', {
    ...ns,
    prefix: 'text',
    cursor: 'text',
    limit: 'number',
    keysOnly: 'boolean',
  }),
  'store/get': get('store', 'Store.Get', { ...ns, key: 'text' }),
  'store/put': post('store', 'Store.Put', {
    ...ns,
    key: 'text',
    value: 'json',
    ttl: 'number',
    ifVersion: 'text',
    ifAbsent: 'boolean',
  }),
  'store/delete': post('store', 'Store.Delete', { ...ns, key: 'text', ifVersion: 'text' }),
  'config/namespaces': get('config', 'Config.Namespaces'),
  'config/get': get('config', 'Config.Get', { ...scope, path: 'text' }),
  'config/history': get('config', 'Config.History', {
    ...scope,
    limit: 'number',
    before: 'number',
  }),
  'config/at': get('config', 'Config.At', { ...scope, version: 'number' }),
  'config/diff': get('config', 'Config.Diff', { ...scope, from: 'number', to: 'number' }),
  'config/schema': get('config', 'Config.Schema', scope),
  'config/set': post('config', 'Config.Set', {
    ...scope,
    path: 'text',
    value: 'json',
    ifVersion: 'number',
  }),
  'config/delete': post('config', 'Config.Delete', { ...scope, path: 'text', ifVersion: 'number' }),
  'config/rollback': post('config', 'Config.Rollback', { ...scope, version: 'number' }),
  'sync/locks': get('sync', 'Sync.Locks', { prefix: 'text' }),
  'sync/leaders': get('sync', 'Sync.Leaders'),
  'sync/candidates': get('sync', 'Sync.Candidates', { name: 'text' }),
  'monitor/status': get('monitor', 'Monitor.Status', { service: 'text' }),
  'monitor/history': get('monitor', 'Monitor.History', {
    service: 'text',
    node: 'text',
    since: 'number',
    limit: 'number',
  }),
};

/** Who the config history names for changes made in the dashboard. */
export const DASHBOARD_AUTHOR = 'dashboard';

/** A GET's query as the endpoint's request: known fields only; an empty number or boolean is left out. */
export function queryRequest(
  path: string,
  route: Pick<PlatformRoute, 'fields'>,
  query: Record<string, unknown>,
): Record<string, unknown> {
  const request: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(query)) {
    const kind = route.fields[name];
    if (kind === undefined) throw unknownField(path, name, route);
    if (typeof raw !== 'string')
      throw badRequest(WEB_ID, `${name} must be given once: /_/api/${path}?${name}=...`);
    if (kind === 'text' || kind === 'json') request[name] = raw;
    else if (raw === '') continue;
    else if (kind === 'boolean') {
      if (raw !== 'true' && raw !== 'false')
        throw badRequest(WEB_ID, `${name} must be true or false, not ${raw.slice(0, 20)}`);
      request[name] = raw === 'true';
    } else {
      const n = Number(raw);
      if (!Number.isFinite(n))
        throw badRequest(WEB_ID, `${name} must be a number, not ${raw.slice(0, 20)}`);
      request[name] = n;
    }
  }
  return request;
}

/** A POST's JSON body as the endpoint's request: an object of known fields. */
export function bodyRequest(
  path: string,
  route: Pick<PlatformRoute, 'fields'>,
  body: unknown,
): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw badRequest(WEB_ID, `send a JSON object to /_/api/${path}`);
  for (const name of Object.keys(body))
    if (!Object.hasOwn(route.fields, name)) throw unknownField(path, name, route);
  return body as Record<string, unknown>;
}

const unknownField = (path: string, name: string, route: Pick<PlatformRoute, 'fields'>): Error =>
  badRequest(
    WEB_ID,
    `/_/api/${path} takes no field ${name.slice(0, 100)}; it takes ${Object.keys(route.fields).join(', ') || 'none'}`,
  );

/** Adds every route of a table (PLATFORM_ROUTES by default); fail answers an error as the other routes do. */
export function registerPlatform(
  app: FastifyInstance,
  o: {
    client: Client;
    timeout: number;
    fail: (reply: FastifyReply, err: unknown) => FastifyReply;
    routes?: Readonly<Record<string, PlatformRoute>>;
  },
): void {
  for (const [path, route] of Object.entries(o.routes ?? PLATFORM_ROUTES)) {
    const call = (request: unknown) =>
      o.client.call(route.service, route.endpoint, request, {
        timeout: o.timeout,
        // A change in the config history names who made it.
        metadata: { 'micro-author': DASHBOARD_AUTHOR },
      });
    if (route.method === 'GET')
      app.get<{ Querystring: Record<string, unknown> }>(`/_/api/${path}`, async (req, reply) => {
        try {
          return await call(queryRequest(path, route, req.query));
        } catch (err) {
          return o.fail(reply, err);
        }
      });
    else
      app.post<{ Body: unknown }>(`/_/api/${path}`, async (req, reply) => {
        try {
          return await call(bodyRequest(path, route, req.body));
        } catch (err) {
          return o.fail(reply, err);
        }
      });
  }
}

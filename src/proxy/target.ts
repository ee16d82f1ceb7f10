import type { Endpoint, Service } from '../registry/registry.ts';
import { badRequest, methodNotAllowed, notFound } from '../runtime/errors.ts';
import type { Filter } from '../runtime/selector/selector.ts';
import type { Catalog } from './catalog.ts';
import {
  GATEWAY_ID,
  VERSION_HEADER,
  type GatewayRequest,
  type HandlerName,
  type Target,
} from './proxy.ts';
import { LIMITS, overLimit } from './limits.ts';
import { normalizeEndpoint, resolvePath } from './resolver.ts';
import { declaredRoutes, matchRoute, type DeclaredRoute } from './routes.ts';
import { matchVersion } from './version.ts';

/** Options of the target resolver. */
export interface TargetOptions {
  catalog: Catalog;
  namespace: string;
  handler: HandlerName;
  deny: string[];
  /** Where the registry is, for "not found" details. */
  where: string;
  /** Longest service name looked up (default LIMITS.nameLength); longer is a 400. */
  nameLength?: number;
  /** `/mcp` is the gateway's MCP endpoint. */
  mcp?: boolean;
}

/** Turns requests into targets: built-in paths, declared routes, then the path resolver. */
export interface TargetResolver {
  /** Resolves a request (at once when cached); throws or rejects with a 4xx MicroError when it names nothing the gateway serves. */
  resolve(req: GatewayRequest): Target | Promise<Target>;
  /** The target for a named service and endpoint (as `POST /rpc` names them). */
  endpoint(service: string, endpoint: string, version?: string): Promise<Target>;
}

/** The services proxied as a whole: `http` as they are, `web` under their `/[name]` prefix. */
export type ProxyKind = 'http' | 'web';

/** The proxy kind a version's or a node's metadata `handler` names, if any. */
const markOf = (metadata: Record<string, string> | undefined): ProxyKind | undefined => {
  const h = metadata?.handler;
  return h === 'http' || h === 'web' ? h : undefined;
};

/**
 * How a service wants to be reached: the first `handler=http` or `handler=web` in a version's
 * metadata or, failing that, in one of its nodes'. The gateway and the dashboard both decide by it.
 */
export function proxyHandler(services: Service[]): ProxyKind | undefined {
  for (const s of services) {
    const kind = markOf(s.metadata);
    if (kind) return kind;
    for (const n of s.nodes) {
      const mark = markOf(n.metadata);
      if (mark) return mark;
    }
  }
  return undefined;
}

/** True when a service is a web app (`handler=web` on a version or a node), served at `/[name]/`. */
export const isWebApp = (services: Service[]): boolean => proxyHandler(services) === 'web';

/**
 * A selector filter keeping the nodes that serve as `kind`: every node of a version so marked,
 * and nodes so marked themselves; all nodes when none is (a gateway whose default handler is it).
 */
export const servingNodes =
  (kind: ProxyKind): Filter =>
  (services) => {
    const marked: Service[] = [];
    for (const s of services) {
      if (markOf(s.metadata) === kind) marked.push(s);
      else {
        const nodes = s.nodes.filter((n) => markOf(n.metadata) === kind);
        if (nodes.length > 0) marked.push({ ...s, nodes });
      }
    }
    return marked.length > 0 ? marked : services;
  };

/** Creates the resolver over a live catalog. */
export function createTargetResolver(o: TargetOptions): TargetResolver {
  const deny = new Set(o.deny);
  const proxyDefault = o.handler === 'http' || o.handler === 'web' ? o.handler : undefined;
  const cache = new Map<string, Target>();
  let cachedAt = -1;
  let routes: DeclaredRoute[] = [];
  let builtAt = -1;
  const table = (): DeclaredRoute[] => {
    if (builtAt !== o.catalog.generation) {
      routes = declaredRoutes(o.catalog.all());
      builtAt = o.catalog.generation;
    }
    return routes;
  };

  const nameLength = o.nameLength ?? LIMITS.nameLength;
  const find = async (service: string): Promise<Service[]> => {
    if (service.length > nameLength)
      throw overLimit(400, `the service name is longer than ${nameLength} characters`);
    if (deny.has(service))
      throw notFound(
        GATEWAY_ID,
        `service ${service} is not exposed through the gateway (--api-deny)`,
      );
    const services = await o.catalog.lookup(service);
    if (!services)
      throw notFound(
        GATEWAY_ID,
        `service ${service} not found in the registry (${o.where}); micro list services shows what is there`,
      );
    return services;
  };

  const withVersion = (service: string, services: Service[], version?: string): Service[] => {
    if (!version) return services;
    const matching = services.filter((s) => matchVersion(version, s.version));
    if (matching.length === 0) {
      const have = services.map((s) => s.version).join(', ');
      throw notFound(
        GATEWAY_ID,
        `service ${service} has no version matching ${version}; it has ${have}`,
      );
    }
    return matching;
  };

  const endpointTarget = (
    service: string,
    services: Service[],
    name: string,
    version: string | undefined,
    params?: Record<string, string>,
  ): Target => {
    const listed = services
      .flatMap((s) => s.endpoints)
      .filter((e) => e.metadata.subscriber !== 'true');
    const wanted = normalizeEndpoint(name);
    const record: Endpoint | undefined =
      listed.find((e) => e.name === name) ??
      listed.find((e) => normalizeEndpoint(e.name) === wanted);
    if (!record && listed.length > 0) {
      const serves = [...new Set(listed.map((e) => e.name))].join(', ');
      throw notFound(GATEWAY_ID, `unknown endpoint ${name} on ${service}; it serves ${serves}`);
    }
    const declared = record?.metadata.handler;
    const kind =
      declared === 'api' || declared === 'rpc' ? declared : o.handler === 'api' ? 'api' : 'rpc';
    return { kind, service, endpoint: record?.name ?? name, record, version, params };
  };

  const headerVersion = (req: GatewayRequest): string | undefined => {
    const v = req.headers[VERSION_HEADER];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };

  return {
    async endpoint(service, endpoint, version) {
      const services = withVersion(service, await find(service), version);
      return endpointTarget(service, services, endpoint, version);
    },

    resolve(req) {
      // Resolutions are cached until the catalog changes: most traffic repeats a few paths.
      if (cachedAt !== o.catalog.generation) {
        cache.clear();
        cachedAt = o.catalog.generation;
      }
      const key = `${req.method} ${req.path} ${headerVersion(req) ?? ''}`;
      const hit = cache.get(key);
      if (hit) return hit;
      const generation = cachedAt;
      return resolveUncached(req).then((target) => {
        // Long keys are not kept: 10,000 paths of 8 KiB would be 80 MB.
        if (generation === o.catalog.generation && key.length <= 512) {
          if (cache.size >= 10_000) cache.clear();
          cache.set(key, target);
        }
        return target;
      });
    },
  };

  /** The gateway's own paths: `/`, `/openapi.json`, `/openapi/NAME.json`, `/metrics`, `/event/<topic>`, `/mcp`. */
  function builtIn(req: GatewayRequest): Target | undefined {
    const { path, method } = req;
    if (path === '/mcp' && o.mcp) return { kind: 'mcp' };
    const own = path === '/' || path === '/openapi.json' || path === '/metrics';
    const document = !own && path.startsWith('/openapi/') && path.endsWith('.json');
    if (own || document) {
      if (method !== 'GET' && method !== 'HEAD')
        throw methodNotAllowed(GATEWAY_ID, `${path} answers GET only`);
      if (document) return { kind: 'openapi', service: documentName(path) };
      return { kind: path === '/' ? 'root' : path === '/openapi.json' ? 'openapi' : 'metrics' };
    }
    if (!path.startsWith('/event/')) return undefined;
    let topic = '';
    try {
      topic = decodeURIComponent(path.slice('/event/'.length));
    } catch {
      // not valid percent-encoding: rejected below
    }
    if (!topic || /\s/.test(topic)) throw badRequest(GATEWAY_ID, `invalid topic in ${path}`);
    if (method !== 'POST') throw methodNotAllowed(GATEWAY_ID, `POST to ${path} publishes an event`);
    return { kind: 'event', topic };
  }

  /** The service `/openapi/NAME.json` names; a 400 when it is not one name. */
  function documentName(path: string): string {
    const raw = path.slice('/openapi/'.length, -'.json'.length);
    let name = '';
    try {
      name = decodeURIComponent(raw);
    } catch {
      // not valid percent-encoding: rejected below
    }
    if (!name || raw.includes('/') || name.length > nameLength)
      throw badRequest(
        GATEWAY_ID,
        `invalid service name in ${path.slice(0, 300)}: /openapi/NAME.json takes one service name`,
      );
    return name;
  }

  /** A route a service declared, also under a `/vN` prefix. */
  async function declared(req: GatewayRequest): Promise<Target | undefined> {
    const routes = table();
    if (routes.length === 0) return undefined;
    let version = headerVersion(req);
    let match = matchRoute(routes, req.method, req.path);
    const prefix = /^\/(v[0-9]+)(\/.*)$/.exec(req.path);
    if (!match && prefix) {
      match = matchRoute(routes, req.method, prefix[2] as string);
      if (match) version = prefix[1];
    }
    if (!match) return undefined;
    const service = match.route.service;
    const services = withVersion(service, await find(service), version);
    return endpointTarget(service, services, match.route.endpoint.name, version, match.params);
  }

  /** The path resolver: a proxied service by its first segment, else an endpoint. */
  async function byPath(req: GatewayRequest): Promise<Target> {
    const resolved = resolvePath(req.path, o.namespace);
    if (!resolved)
      throw badRequest(
        GATEWAY_ID,
        `invalid path ${req.path}: segments may hold letters, digits, - and _`,
      );
    const version = resolved.version ?? headerVersion(req);
    const head = req.path.split('/').filter(Boolean)[resolved.version ? 1 : 0] ?? '';
    const first = o.namespace ? `${o.namespace}.${head}` : head;
    const prefix = `${resolved.version ? `/${resolved.version}` : ''}/${head}`;
    const known = o.catalog.get(first);
    if ((known && proxyHandler(known)) || !resolved.endpoint || proxyDefault) {
      const services =
        deny.has(first) || first.length > nameLength ? undefined : await o.catalog.lookup(first);
      const kind = services ? (proxyHandler(services) ?? proxyDefault) : undefined;
      if (services && kind) {
        withVersion(first, services, version);
        return { kind, service: first, version, prefix };
      }
      if (!resolved.endpoint) {
        await find(first);
        throw notFound(
          GATEWAY_ID,
          `${req.path} names service ${first} but no endpoint: use /${head}/<handler>/<method>`,
        );
      }
    }
    const services = withVersion(resolved.service, await find(resolved.service), version);
    const h = proxyHandler(services);
    if (h) return { kind: h, service: resolved.service, version, prefix };
    return endpointTarget(resolved.service, services, resolved.endpoint, version);
  }

  async function resolveUncached(req: GatewayRequest): Promise<Target> {
    return builtIn(req) ?? (await declared(req)) ?? byPath(req);
  }
}

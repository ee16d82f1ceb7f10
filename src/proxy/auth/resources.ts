// What a request at an edge asks to do, as the rules' resources (CONTRACT: `service:<service>:<Endpoint>`,
// `topic:<topic>:publish`...), so that the gateway and the sidecar apply the same rules as the
// services themselves. `open`: anyone, no token (liveness, the OAuth routes); `account`: any
// authenticated caller (OpenAPI, metrics, MCP, Dapr metadata), like the services' `Debug.*`.
//
// Mapping of the proxied services (no endpoints of their own): a request to an `http` service is
// `service:<name>:<METHOD> <path>`, to a `web` app the path under its prefix, so rules may allow
// `service:app:*` or `service:app:GET *`.
import type { Resource } from '../../platform/auth/auth.ts';
import type { GatewayRequest, Target } from '../proxy.ts';
import { isOAuthPath } from './oauth.ts';

/** What a request needs: nothing, any account, or these resources. */
export type Need = 'open' | 'account' | readonly Resource[];

const service = (name: string, action: string): Resource => ({ kind: 'service', name, action });
const topic = (name: string, action: 'publish' | 'subscribe'): Resource => ({
  kind: 'topic',
  name,
  action,
});

/** What a gateway request resolved to `t` needs. */
export function gatewayNeed(req: GatewayRequest, t: Target): Need {
  switch (t.kind) {
    case 'root':
      return 'open';
    case 'openapi':
    case 'metrics':
    case 'mcp':
      return 'account';
    case 'event':
      return [topic(t.topic, 'publish')];
    case 'http':
      return [service(t.service, `${req.method} ${req.path}`)];
    case 'web':
      return [service(t.service, `${req.method} ${req.path.slice(t.prefix.length) || '/'}`)];
    default:
      return [service(t.service, t.endpoint)];
  }
}

/** The parts of a sidecar request its resources come from (fastify's route pattern, params, query, body). */
export interface SidecarRequest {
  method: string;
  /** The route's pattern (`/v1.0/state/:store`); undefined when no route matched. */
  route: string | undefined;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const field = (body: unknown, name: string): string | undefined =>
  typeof body === 'object' && body !== null && !Array.isArray(body)
    ? str((body as Record<string, unknown>)[name])
    : undefined;

/** The keys a Dapr configuration request names (`?key=a&key=b`). */
function configKeys(query: Record<string, unknown>): string[] {
  const k = query.key;
  return (Array.isArray(k) ? k : [k]).filter((x): x is string => typeof x === 'string' && x !== '');
}

const OPEN = new Set(['/health', '/v1.0/healthz', '/v1.0/healthz/outbound']);

/** True for the sidecar's routes anyone may use (liveness, as Dapr keeps it open, and OAuth). */
export const openSidecarRoute = (route: string | undefined): boolean =>
  route !== undefined && (OPEN.has(route) || isOAuthPath(route));

/**
 * What a sidecar request needs; `appId` is the database of its Dapr state. A body that names
 * nothing usable gives no resource: the handler then refuses it as malformed (400).
 */
export function sidecarNeed(r: SidecarRequest, appId: string): Need {
  const route = r.route;
  if (route === undefined) return 'account';
  if (openSidecarRoute(route)) return 'open';
  const p = r.params;
  const v = route.replace(/^\/v1\.0(-alpha1)?\//, '/');
  if (route === '/registry') {
    const name = r.method === 'GET' ? (str(r.query.service) ?? '*') : field(r.body, 'name');
    const action = r.method === 'GET' ? 'read' : r.method === 'POST' ? 'register' : 'deregister';
    return name === undefined ? [] : [{ kind: 'registry', name, action }];
  }
  if (route === '/rpc') {
    const s = field(r.body, 'service');
    const e = field(r.body, 'endpoint') ?? field(r.body, 'method');
    return s && e ? [service(s, e)] : [];
  }
  if (route === '/:service/:endpoint') return [service(p.service ?? '', p.endpoint ?? '')];
  if (route === '/publish/:topic') return [topic(p.topic ?? '', 'publish')];
  if (v.startsWith('/invoke/')) return [service(p.app ?? '', p.method ?? '')];
  if (v.startsWith('/publish/')) return p.topic ? [topic(p.topic, 'publish')] : [];
  if (v.startsWith('/state/')) {
    const read = r.method === 'GET' || v === '/state/:store/bulk';
    return [{ kind: 'store', name: `${appId}/${p.store ?? ''}`, action: read ? 'read' : 'write' }];
  }
  if (v.startsWith('/configuration/')) {
    const keys = configKeys(r.query);
    const store = p.store ?? '';
    return (keys.length > 0 ? keys : ['']).map((k) => ({
      kind: 'config',
      name: `${store}/${k}`,
      action: 'read',
    }));
  }
  if (v.startsWith('/lock/') || v.startsWith('/unlock/')) {
    const resource = field(r.body, 'resourceId');
    return resource ? [{ kind: 'sync', name: `${p.store ?? ''}/${resource}`, action: 'lock' }] : [];
  }
  return 'account';
}

import type { Endpoint, Service } from '../registry/registry.ts';

/** A route a service declared through endpoint metadata `method` and `path` (`GET /users/{id}`). */
export interface DeclaredRoute {
  service: string;
  endpoint: Endpoint;
  /** Upper-case methods; empty means any. */
  methods: string[];
  /** The pattern as declared, e.g. `/users/{id}`; `{rest...}` takes the remaining segments. */
  path: string;
  params: string[];
  regex: RegExp;
  /** Literal segments, for ordering: the more specific route wins. */
  literals: number;
}

/** A route that matched, with its decoded path parameters. */
export interface RouteMatch {
  route: DeclaredRoute;
  params: Record<string, string>;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Compiles a path pattern; undefined when it is not one (must start with `/`). */
export function compilePattern(
  path: string,
): { regex: RegExp; params: string[]; literals: number } | undefined {
  if (!path.startsWith('/')) return undefined;
  const params: string[] = [];
  let literals = 0;
  const parts = path
    .split('/')
    .slice(1)
    .map((seg) => {
      const m = /^\{([A-Za-z_][\w]*)(\.\.\.)?\}$/.exec(seg);
      if (!m) {
        literals++;
        return escape(seg);
      }
      params.push(m[1] as string);
      return m[2] ? '(.+)' : '([^/]+)';
    });
  return { regex: new RegExp(`^/${parts.join('/')}/?$`), params, literals };
}

/** The declared routes of the given services, most specific first. */
export function declaredRoutes(services: Service[]): DeclaredRoute[] {
  const seen = new Set<string>();
  const out: DeclaredRoute[] = [];
  for (const s of services) {
    for (const e of s.endpoints) {
      const path = e.metadata.path;
      if (!path || e.metadata.subscriber === 'true') continue;
      const methods = (e.metadata.method ?? '')
        .split(',')
        .map((m) => m.trim().toUpperCase())
        .filter(Boolean);
      const key = `${s.name} ${e.name} ${methods.join(',')} ${path}`;
      if (seen.has(key)) continue;
      const compiled = compilePattern(path);
      if (!compiled) continue;
      seen.add(key);
      out.push({ service: s.name, endpoint: e, methods, path, ...compiled });
    }
  }
  return out.sort((a, b) => b.literals - a.literals || a.params.length - b.params.length);
}

/** The first route that serves the method and path; undefined when none does. */
export function matchRoute(
  routes: DeclaredRoute[],
  method: string,
  path: string,
): RouteMatch | undefined {
  for (const route of routes) {
    if (route.methods.length > 0 && !route.methods.includes(method)) continue;
    const m = route.regex.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    try {
      route.params.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1] ?? '')));
    } catch {
      continue; // malformed percent-encoding: not this route
    }
    return { route, params };
  }
  return undefined;
}

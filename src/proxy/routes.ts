import type { Endpoint } from '../registry/registry.ts';
import { LIMITS } from './limits.ts';
import { cleanServices } from './record.ts';

/** One segment of a route pattern: a literal, a `{param}`, or a `{rest...}` taking one or more segments. */
export type PatternSegment =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; name: string }
  | { kind: 'rest'; name: string };

/** A compiled path pattern. */
export interface Pattern {
  segments: PatternSegment[];
  params: string[];
  /** Literal segments, for ordering: the more specific route wins. */
  literals: number;
}

/** A route a service declared through endpoint metadata `method` and `path` (`GET /users/{id}`). */
export interface DeclaredRoute extends Pattern {
  service: string;
  endpoint: Endpoint;
  /** Upper-case methods; empty means any. */
  methods: string[];
  /** The pattern as declared, e.g. `/users/{id}`; `{rest...}` takes the remaining segments. */
  path: string;
}

/** A route that matched, with its decoded path parameters. */
export interface RouteMatch {
  route: DeclaredRoute;
  params: Record<string, string>;
}

const PARAM = /^\{([A-Za-z_]\w*)(\.\.\.)?\}$/;

/** The segments of a path after its leading `/`, without one trailing `/`. */
function split(path: string): string[] {
  const end = path.length > 1 && path.endsWith('/') ? path.length - 1 : path.length;
  return path.slice(1, end).split('/');
}

/**
 * Compiles a path pattern; undefined when it is not one: it must be a string starting with `/`,
 * of at most maxSegments segments, with at most one `{rest...}`. Matching a compiled pattern
 * compares segments once each: no regular expression, nothing to backtrack.
 */
export function compilePattern(path: unknown, maxSegments = LIMITS.segments): Pattern | undefined {
  if (typeof path !== 'string' || !path.startsWith('/') || path.length > LIMITS.pathLength)
    return undefined;
  const parts = split(path);
  if (parts.length > maxSegments) return undefined;
  const params: string[] = [];
  let literals = 0;
  let rests = 0;
  const segments = parts.map((seg): PatternSegment => {
    const m = PARAM.exec(seg);
    if (!m) {
      literals++;
      return { kind: 'literal', text: seg };
    }
    const name = m[1] as string;
    params.push(name);
    if (!m[2]) return { kind: 'param', name };
    rests++;
    return { kind: 'rest', name };
  });
  return rests > 1 ? undefined : { segments, params, literals };
}

/** The declared routes of the given services, most specific first; odd records are skipped. */
export function declaredRoutes(services: unknown): DeclaredRoute[] {
  const seen = new Set<string>();
  const out: DeclaredRoute[] = [];
  for (const s of cleanServices(services)) {
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

/** The raw (still percent-encoded) parameters of a pattern that matches the path's segments; undefined when it does not. */
function matchSegments(pattern: PatternSegment[], parts: string[]): string[] | undefined {
  const n = pattern.length;
  const rest = pattern.findIndex((p) => p.kind === 'rest');
  if (rest < 0 ? parts.length !== n : parts.length < n) return undefined;
  // Segments before a rest are matched from the start, those after it from the end; the rest
  // takes what is between them.
  const tail = parts.length - n;
  const values: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = pattern[i] as PatternSegment;
    if (p.kind === 'rest') continue;
    const part = parts[rest >= 0 && i > rest ? i + tail : i] as string;
    if (p.kind === 'literal' ? part !== p.text : part === '') return undefined;
    if (p.kind === 'param') values.push(part);
  }
  if (rest < 0) return values;
  const taken = parts.slice(rest, rest + tail + 1).join('/');
  if (taken === '') return undefined;
  values.splice(pattern.slice(0, rest).filter((p) => p.kind === 'param').length, 0, taken);
  return values;
}

/** The first route that serves the method and path; undefined when none does. Linear in the routes and path. */
export function matchRoute(
  routes: DeclaredRoute[],
  method: string,
  path: string,
): RouteMatch | undefined {
  if (!path.startsWith('/')) return undefined;
  const parts = split(path);
  for (const route of routes) {
    if (route.methods.length > 0 && !route.methods.includes(method)) continue;
    const raw = matchSegments(route.segments, parts);
    if (!raw) continue;
    let params: Record<string, string>;
    try {
      // fromEntries: a parameter named `__proto__` is an own property like any other.
      params = Object.fromEntries(
        route.params.map((name, i) => [name, decodeURIComponent(raw[i] ?? '')]),
      );
    } catch {
      continue; // malformed percent-encoding: not this route
    }
    return { route, params };
  }
  return undefined;
}

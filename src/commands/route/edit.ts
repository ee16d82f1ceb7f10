// The changes `micro route weight|match|mirror` make to a service's traffic rule, as pure
// functions of the rule before, and the parsing of their arguments. Every bad argument is a 400
// from micro.cli naming it; the bounds of rules themselves (ROUTE_LIMITS) are the store's to check.
import type {
  Destination,
  Route,
  RouteMatch,
  TrafficRule,
} from '../../platform/routing/routing.ts';
import { badRequest } from '../../runtime/errors.ts';

const ID = 'micro.cli';

/** A share (weight or percent) from text: a number from 0 to 100. */
export function parseShare(text: string, what: string): number {
  const n = /^\s*\d+(\.\d+)?\s*$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= 100))
    throw badRequest(ID, `${what} must be a number from 0 to 100, not "${text}"`);
  return n;
}

/** `VERSION=WEIGHT` pairs (`1.0.0=90 2.0.0=10`) as destinations, in the order given. */
export function parseWeights(pairs: readonly (string | number)[]): Destination[] {
  if (pairs.length === 0)
    throw badRequest(
      ID,
      'give at least one VERSION=WEIGHT, e.g. micro route weight greeter 1.0.0=90 2.0.0=10',
    );
  const seen = new Set<string>();
  const out = pairs.map((p) => {
    const pair = String(p);
    const eq = pair.lastIndexOf('=');
    const version = pair.slice(0, eq).trim();
    if (eq <= 0 || version === '')
      throw badRequest(ID, `"${pair}" is not VERSION=WEIGHT (e.g. 2.0.0=10)`);
    if (seen.has(version)) throw badRequest(ID, `version ${version} is given twice`);
    seen.add(version);
    return { version, weight: parseShare(pair.slice(eq + 1), `the weight of ${version}`) };
  });
  if (out.every((d) => d.weight === 0))
    throw badRequest(ID, 'every weight is 0: at least one version must take calls');
  return out;
}

/** True for a route that takes every call (no endpoint, no metadata to match). */
export const takesEveryCall = (r: Route): boolean =>
  r.match === undefined ||
  (r.match.endpoint === undefined && Object.keys(r.match.metadata ?? {}).length === 0);

/** The index of the rule's route for every call: its last one, -1 when it has none. */
const catchAll = (routes: Route[]): number => routes.findLastIndex(takesEveryCall);

/** What to change in the route for every call. */
export interface WeightChange {
  to: Destination[];
  /** A label; kept when not given. */
  name?: string;
  /** A metadata key to stick by; kept when not given, removed when ''. */
  sticky?: string;
}

/**
 * The rule with its route for every call sending calls to these destinations (appended after
 * the matching routes when it had none); other routes, and the route's mirror, are kept.
 */
export function withWeights(
  service: string,
  rule: TrafficRule | undefined,
  change: WeightChange,
): TrafficRule {
  const routes = [...(rule?.routes ?? [])];
  const i = catchAll(routes);
  const before: Route = i >= 0 ? routes[i]! : { to: [] };
  const route: Route = { ...before, to: change.to };
  if (change.name !== undefined) route.name = change.name;
  if (change.sticky === '') delete route.sticky;
  else if (change.sticky !== undefined) route.sticky = change.sticky.toLowerCase();
  if (i >= 0) routes[i] = route;
  else routes.push(route);
  return { service, routes };
}

/** A JSON key for a match, the same for equal matches whatever their keys' order. */
const matchKey = (m: RouteMatch | undefined): string =>
  JSON.stringify([
    m?.endpoint ?? null,
    Object.entries(m?.metadata ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ]);

/** The rule with a route for calls carrying this match first (replacing one with the same match). */
export function withMatch(
  service: string,
  rule: TrafficRule | undefined,
  route: { match: RouteMatch; to: Destination[]; name?: string },
): TrafficRule {
  const hasMetadata = Object.keys(route.match.metadata ?? {}).length > 0;
  if (route.match.endpoint === undefined && !hasMetadata)
    throw badRequest(
      ID,
      'give --metadata k=v or --endpoint to match (for every call use micro route weight)',
    );
  const key = matchKey(route.match);
  const others = (rule?.routes ?? []).filter((r) => takesEveryCall(r) || matchKey(r.match) !== key);
  const match: RouteMatch = {
    ...(route.match.endpoint !== undefined && { endpoint: route.match.endpoint }),
    ...(hasMetadata && { metadata: route.match.metadata }),
  };
  return {
    service,
    routes: [
      { ...(route.name !== undefined && { name: route.name }), match, to: route.to },
      ...others,
    ],
  };
}

/**
 * The rule with its route for every call copying `percent` of its calls to a version (0: no
 * mirror). A 400 when the rule has no such route: a mirror copies calls that go somewhere.
 */
export function withMirror(
  service: string,
  rule: TrafficRule | undefined,
  mirror: { version: string; percent: number },
): TrafficRule {
  const routes = [...(rule?.routes ?? [])];
  const i = catchAll(routes);
  if (i < 0)
    throw badRequest(
      ID,
      `${service} has no route for every call to mirror: make one first, e.g. micro route weight ${service} 1.0.0=100`,
    );
  const { mirror: _old, ...route } = routes[i]!;
  routes[i] =
    mirror.percent === 0
      ? route
      : { ...route, mirror: { version: mirror.version, percent: mirror.percent } };
  return { service, routes };
}

/**
 * A rule given to `micro route set`: a TrafficRule, `{routes}`, or the array of routes. The
 * service it names, if any, must be SERVICE; author and updated are the store's and are dropped.
 */
export function ruleFrom(service: string, value: unknown, source: string): TrafficRule {
  const given = Array.isArray(value) ? { routes: value as unknown } : value;
  if (given === null || typeof given !== 'object')
    throw badRequest(ID, `${source} must be a rule: {"routes":[...]} or an array of routes`);
  const { service: named, author: _a, updated: _u, ...rest } = given as Record<string, unknown>;
  if (named !== undefined && named !== service)
    throw badRequest(ID, `${source} is the rule of ${JSON.stringify(named)}, not of ${service}`);
  if (!Array.isArray(rest.routes))
    throw badRequest(ID, `${source}: routes must be an array of routes`);
  return { ...rest, service } as TrafficRule;
}

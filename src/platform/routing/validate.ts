// Checks traffic rules before they are stored or applied: every field's type and every
// ROUTE_LIMITS bound, unknown fields refused, each failure a 400 naming the field (`routes[1].to[0].weight`).
// A checked rule is a fresh object: metadata keys and sticky keys lower-cased (call metadata is).
import { badRequest } from '../../runtime/errors.ts';
import {
  ROUTE_LIMITS,
  type Destination,
  type Mirror,
  type Route,
  type RouteMatch,
  type TrafficRule,
} from './routing.ts';

/** The id routing errors carry. */
export const ROUTES_ID = 'micro.routes';

const VERSION = /^[A-Za-z0-9._+~-]+$/;
type Obj = Record<string, unknown>;

const SERVICE = /^[A-Za-z0-9._-]+$/;
const ENDPOINT = /^[A-Za-z0-9_-]+\.(\*|[A-Za-z0-9_-]+)$/;

const fail = (field: string, what: string): never => {
  throw badRequest(ROUTES_ID, `${field} ${what}`);
};

const quoted = (s: string): string => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

function object(v: unknown, field: string, keys: readonly string[]): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return fail(field, 'must be an object');
  for (const k of Object.keys(v))
    if (!keys.includes(k))
      fail(field, `has an unknown field ${quoted(k)} (allowed: ${keys.join(', ')})`);
  return v as Obj;
}

function text(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') return fail(field, 'must be a non-empty string');
  if (v.length > ROUTE_LIMITS.stringLength)
    fail(field, `is ${v.length} characters long, over the limit of ${ROUTE_LIMITS.stringLength}`);
  return v;
}

function percent(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 100)
    fail(field, 'must be a number from 0 to 100');
  return v as number;
}

function list(v: unknown, field: string, min: number, max: number): unknown[] {
  if (!Array.isArray(v)) return fail(field, `must be a list of ${min} to ${max} items`);
  if (v.length < min || v.length > max)
    fail(field, `has ${v.length} items; it must have ${min} to ${max}`);
  return v;
}

function labels(v: unknown, field: string): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return fail(field, 'must be an object');
  const o = v as Obj;
  // Counted before anything else is done per key: a huge object costs one pass.
  const keys = Object.keys(o);
  if (keys.length === 0) fail(field, 'must have at least one key (or be left out)');
  if (keys.length > ROUTE_LIMITS.metadataKeys)
    fail(field, `has ${keys.length} keys, over the limit of ${ROUTE_LIMITS.metadataKeys}`);
  const out: Record<string, string> = {};
  for (const k of keys) {
    const key = text(k, `${field} key`).toLowerCase();
    if (key === '__proto__') fail(`${field} key`, '__proto__ is reserved');
    if (Object.hasOwn(out, key))
      fail(field, `has the key ${quoted(key)} twice (keys are lower-cased)`);
    out[key] = text(o[k], `${field}.${key}`);
  }
  return out;
}

/** A checked service name: 1 to 256 of [A-Za-z0-9._-]; else a 400 naming `field`. */
export function checkService(v: unknown, field = 'service'): string {
  const s = text(v, field);
  if (!SERVICE.test(s)) fail(field, `${quoted(s)} may hold only letters, digits, ., _ and -`);
  return s;
}

function target(o: Obj, field: string): Omit<Destination, 'weight'> {
  const d: Omit<Destination, 'weight'> = {};
  if (o.version !== undefined) {
    d.version = text(o.version, `${field}.version`);
    // Printable, no spaces, no slashes: what a version registered looks like (no escape codes).
    if (!VERSION.test(d.version))
      fail(`${field}.version`, `${quoted(d.version)} may hold only letters, digits and . _ + ~ -`);
  }
  if (o.metadata !== undefined) d.metadata = labels(o.metadata, `${field}.metadata`);
  if (d.version === undefined && d.metadata === undefined)
    fail(field, 'must name a version or metadata labels');
  return d;
}

function destination(v: unknown, field: string): Destination {
  const o = object(v, field, ['version', 'metadata', 'weight']);
  const d: Destination = target(o, field);
  if (o.weight !== undefined) d.weight = percent(o.weight, `${field}.weight`);
  return d;
}

function match(v: unknown, field: string): RouteMatch {
  const o = object(v, field, ['endpoint', 'metadata']);
  const m: RouteMatch = {};
  if (o.endpoint !== undefined) {
    const e = text(o.endpoint, `${field}.endpoint`);
    if (!ENDPOINT.test(e))
      fail(`${field}.endpoint`, `${quoted(e)} must be Handler.Method or Handler.* (as Say.Hello)`);
    m.endpoint = e;
  }
  if (o.metadata !== undefined) m.metadata = labels(o.metadata, `${field}.metadata`);
  return m;
}

function mirror(v: unknown, field: string): Mirror {
  const o = object(v, field, ['version', 'metadata', 'percent']);
  if (o.percent === undefined) fail(`${field}.percent`, 'is required: a number from 0 to 100');
  return { ...target(o, field), percent: percent(o.percent, `${field}.percent`) };
}

function route(v: unknown, field: string): Route {
  const o = object(v, field, ['name', 'match', 'to', 'sticky', 'mirror']);
  const r = {} as Route;
  if (o.name !== undefined) r.name = text(o.name, `${field}.name`);
  if (o.match !== undefined) r.match = match(o.match, `${field}.match`);
  r.to = list(o.to, `${field}.to`, 1, ROUTE_LIMITS.destinations).map((d, i) =>
    destination(d, `${field}.to[${i}]`),
  );
  if (r.to.every((d) => d.weight === 0))
    fail(`${field}.to`, 'has only weights of 0: no call could go anywhere');
  if (o.sticky !== undefined) r.sticky = text(o.sticky, `${field}.sticky`).toLowerCase();
  if (o.mirror !== undefined) r.mirror = mirror(o.mirror, `${field}.mirror`);
  return r;
}

/**
 * A checked copy of a traffic rule (`author` and `updated` kept when well-formed: the store sets
 * them); anything wrong is a 400 naming the field. `field` prefixes the names (default `rule`).
 */
export function validateRule(value: unknown, field = 'rule'): TrafficRule {
  const o = object(value, field, ['service', 'routes', 'author', 'updated']);
  const rule: TrafficRule = {
    service: checkService(o.service, `${field}.service`),
    routes: list(o.routes, `${field}.routes`, 1, ROUTE_LIMITS.routes).map((r, i) =>
      route(r, `${field}.routes[${i}]`),
    ),
  };
  if (o.author !== undefined) rule.author = text(o.author, `${field}.author`);
  if (o.updated !== undefined) {
    if (typeof o.updated !== 'number' || !Number.isSafeInteger(o.updated) || o.updated < 0)
      fail(`${field}.updated`, 'must be a time in ms since the epoch');
    rule.updated = o.updated as number;
  }
  return rule;
}

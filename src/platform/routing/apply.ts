// Applying traffic rules to calls: a CallWrapper and a StreamWrapper that take the first route whose
// match holds, then add a filter to the call's options that keeps one destination's nodes, picked
// by weight among the destinations that have a node now (an empty one gives its share to the
// others; none left: the selector's 503). With `sticky`, the point on the weights is a hash of
// that metadata value, so one value always gets one destination while the rule and the nodes stay.
// Mirroring (calls only, not streams): a fire-and-forget copy with metadata `micro-mirror: 1`, no
// retries, no hedge, its answer and error dropped; at most MIRRORS_IN_FLIGHT at once (past them
// the copy is skipped). Calls pinned to an address, a node or a version are left as they are.
import type {
  CallFunc,
  CallOptions,
  CallWrapper,
  StreamWrapper,
} from '../../runtime/client/client.ts';
import type { Service } from '../../registry/registry.ts';
import type { Filter } from '../../runtime/selector/selector.ts';
import type { Destination, Route, TrafficRule } from './routing.ts';

/** Mirrored copies in flight at once, per wrapper; past it a copy is skipped. */
export const MIRRORS_IN_FLIGHT = 100;

/** The metadata a mirrored copy carries. */
export const MIRROR_KEY = 'micro-mirror';

/** A destination made ready to filter with. */
interface Target {
  keep: Filter;
  weight: number;
}

/** A route made ready to apply. */
interface CompiledRoute {
  endpoint?: { exact: string } | { prefix: string };
  metadata: [string, string][];
  to: Target[];
  sticky?: string;
  mirror?: { percent: number; keep: Filter };
  /** Names the rule in the 503 when no destination has a node: `the traffic rule of shop (route 1: version 2.0.1)`. */
  label: string;
}

/** A rule made ready to apply: its routes, in order. */
export interface CompiledRule {
  routes: CompiledRoute[];
  /** Every metadata key its matches and sticky read (for the gateway's headers). */
  keys: string[];
}

/** The nodes of services that a destination (or a mirror) names. */
function keeper(d: Omit<Destination, 'weight'>): Filter {
  const labels = Object.entries(d.metadata ?? {});
  return (services: Service[]) => {
    const out: Service[] = [];
    for (const s of services) {
      if (d.version !== undefined && s.version !== d.version) continue;
      if (labels.length === 0) out.push(s);
      else {
        const nodes = s.nodes.filter((n) => labels.every(([k, v]) => n.metadata[k] === v));
        if (nodes.length > 0) out.push({ ...s, nodes });
      }
    }
    return out;
  };
}

const hasNode = (services: Service[]): boolean => services.some((s) => s.nodes.length > 0);

/** Whether any node of these service versions is one the destination (or mirror) names. */
export const reaches = (d: Omit<Destination, 'weight'>, services: Service[]): boolean =>
  hasNode(keeper(d)(services));

/** A destination as people name it: `version 2.0.0`, `zone=b`, `version 2.0.0 with zone=b`. */
export function destinationName(d: Omit<Destination, 'weight'>): string {
  const labels = Object.entries(d.metadata ?? {}).map(([k, v]) => `${k}=${v}`);
  const version = d.version === undefined ? '' : `version ${d.version}`;
  return [version, labels.join(', ')].filter(Boolean).join(' with ') || 'any node';
}

/** A route as people name it: `route "beta"`, or `route 2` by its place. */
export const routeName = (r: Route, i: number): string =>
  r.name ? `route ${JSON.stringify(r.name)}` : `route ${i + 1}`;

/** Compiles a checked rule: matchers and filters built once, not per call. */
export function compileRule(rule: TrafficRule): CompiledRule {
  const keys = new Set<string>();
  const routes = rule.routes.map((r: Route, i): CompiledRoute => {
    const metadata = Object.entries(r.match?.metadata ?? {});
    for (const [k] of metadata) keys.add(k);
    if (r.sticky) keys.add(r.sticky);
    const e = r.match?.endpoint;
    return {
      ...(e !== undefined && {
        endpoint: e.endsWith('.*') ? { prefix: e.slice(0, -1) } : { exact: e },
      }),
      metadata,
      to: r.to.map((d) => ({ keep: keeper(d), weight: d.weight ?? 100 })),
      ...(r.sticky !== undefined && { sticky: r.sticky }),
      ...(r.mirror && { mirror: { percent: r.mirror.percent, keep: keeper(r.mirror) } }),
      label: `the traffic rule of ${rule.service} (${routeName(r, i)}: ${r.to.map(destinationName).join(', ')}; micro route get ${rule.service})`,
    };
  });
  return { routes, keys: [...keys] };
}

/** A call's metadata value for a lower-case key: its own metadata first, then its parent's. */
function valueOf(o: CallOptions, key: string): string | undefined {
  const md = o.metadata;
  if (md) {
    const v = md[key];
    if (v !== undefined) return v;
    for (const k in md) if (k.toLowerCase() === key) return md[k];
  }
  return o.parent?.metadata[key];
}

/** The first route of a rule that takes a call to `endpoint` with options `o`. */
function routeFor(rule: CompiledRule, endpoint: string, o: CallOptions): CompiledRoute | undefined {
  for (const r of rule.routes) {
    const e = r.endpoint;
    if (e && ('exact' in e ? endpoint !== e.exact : !endpoint.startsWith(e.prefix))) continue;
    if (r.metadata.every(([k, v]) => valueOf(o, k) === v)) return r;
  }
  return undefined;
}

/** FNV-1a of a string, mixed (murmur3's finalizer: values that differ in their last character spread), as a point in [0, 1). */
function hashPoint(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/** The filter keeping the nodes of the destination at `point` (0 to 1) of the weights of those with nodes. */
function pickFilter(route: CompiledRoute, point: number): Filter {
  const pick: Filter = (services) => {
    let total = 0;
    const found: [Service[], number][] = [];
    for (const t of route.to) {
      if (t.weight <= 0) continue;
      const kept = t.keep(services);
      if (!hasNode(kept)) continue;
      found.push([kept, t.weight]);
      total += t.weight;
    }
    let at = point * total;
    for (const [kept, weight] of found) {
      if (at < weight) return kept;
      at -= weight;
    }
    return found.at(-1)?.[0] ?? [];
  };
  pick.label = route.label;
  return pick;
}

/** The call's options with the route's destination filter added. */
function routed(route: CompiledRoute, o: CallOptions): CallOptions {
  const value = route.sticky === undefined ? undefined : valueOf(o, route.sticky);
  const keep = pickFilter(route, value === undefined ? Math.random() : hashPoint(value));
  if (!o.filters) return { ...o, filters: [keep] };
  // The caller narrowed the nodes itself (the gateway's Micro-Version): when the rule's
  // destinations leave none of those, the caller's choice wins over the rule.
  const within: Filter = (services) => {
    const kept = keep(services);
    return kept.length > 0 ? kept : services;
  };
  return { ...o, filters: [...o.filters, within] };
}

/** Whether a call is pinned to a node, an address or a version (then no rule applies). */
const pinned = (o: CallOptions): boolean =>
  o.node !== undefined || o.address !== undefined || o.version !== undefined;

/** How the wrappers find a service's rule: a Map lookup once the rules have been read. */
export interface RuleSource {
  /** The compiled rule of a service, if any. */
  get(service: string): CompiledRule | undefined;
  /** True once the first read was tried. */
  readonly settled: boolean;
  /** Resolves once settled (bounded); never rejects. */
  first(): Promise<void>;
  /** True inside the source's own reads (which must not wait for it). */
  inside(): boolean;
}

/** The CallWrapper that applies the rules of `source` (mirroring included). */
export function routingCallWrapper(source: RuleSource): CallWrapper {
  let mirrors = 0;
  return (next: CallFunc): CallFunc => {
    const mirror = (req: Parameters<CallFunc>[0], keep: Filter): void => {
      if (mirrors >= MIRRORS_IN_FLIGHT) return;
      mirrors++;
      const o = req.options;
      const copy: CallOptions = {
        ...o,
        retries: 0,
        hedge: false,
        metadata: { ...o.metadata, [MIRROR_KEY]: '1' },
        filters: o.filters ? [...o.filters, keep] : [keep],
      };
      let sent: Promise<unknown>;
      try {
        sent = next({ ...req, options: copy });
      } catch {
        sent = Promise.resolve();
      }
      void sent.then(
        () => mirrors--,
        () => mirrors--,
      );
    };
    const apply: CallFunc = (req) => {
      const rule = source.get(req.service);
      if (rule === undefined || pinned(req.options)) return next(req);
      const route = routeFor(rule, req.endpoint, req.options);
      if (route === undefined) return next(req);
      const m = route.mirror;
      if (m && Math.random() * 100 < m.percent) mirror(req, m.keep);
      return next({ ...req, options: routed(route, req.options) });
    };
    return (req) =>
      source.settled || source.inside() || pinned(req.options)
        ? apply(req)
        : source.first().then(() => apply(req));
  };
}

/** The StreamWrapper that applies the rules of `source` (streams are routed, never mirrored). */
export function routingStreamWrapper(source: RuleSource): StreamWrapper {
  return (next) => {
    const apply: typeof next = (req) => {
      const rule = source.get(req.service);
      if (rule === undefined || pinned(req.options)) return next(req);
      const route = routeFor(rule, req.endpoint, req.options);
      return route === undefined
        ? next(req)
        : next({ ...req, options: routed(route, req.options) });
    };
    return (req) =>
      source.settled || source.inside() || pinned(req.options)
        ? apply(req)
        : source.first().then(() => apply(req));
  };
}

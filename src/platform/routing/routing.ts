// Routing: traffic rules per service, kept in the control plane's config (namespace `micro-routes`,
// one tree of rules by service name, every change a config version: history and undo for free) and
// applied by every client that watches them (platform services, the gateway, the sidecar, the CLI).
// A rule is a list of routes; a call takes the first route whose match holds, then one of its
// destinations by weight (sticky per value of a metadata key when the route says so), and may be
// copied to a mirror whose answer is dropped. A call that no route matches goes to any node, as
// with no rule at all.

/** Where a share of calls goes: the nodes of a version, or those with some metadata labels. */
export interface Destination {
  /** Nodes of this service version. */
  version?: string;
  /** Nodes whose metadata has each of these key = value labels. */
  metadata?: Record<string, string>;
  /** Relative share (0 to 100, default 100 for a route's only destination); shares need not sum to 100. */
  weight?: number;
}

/** What a call must carry for a route to take it; every key given must hold. */
export interface RouteMatch {
  /** The endpoint called: exact (`Say.Hello`) or a handler's (`Say.*`). */
  endpoint?: string;
  /** Call metadata (lower-case keys; HTTP headers at the gateway) equal to these values. */
  metadata?: Record<string, string>;
}

/** A copy of a share of the calls sent to a destination, its answer dropped. */
export interface Mirror extends Omit<Destination, 'weight'> {
  /** Percent of the route's calls copied (0 to 100). */
  percent: number;
}

/** One route of a rule. */
export interface Route {
  /** A label for people (`canary`, `beta-users`). */
  name?: string;
  /** Calls it takes; none: every call. */
  match?: RouteMatch;
  /** Where its calls go, by weight (at least one). A destination with no node gives its share to the others. */
  to: Destination[];
  /** A metadata key (such as `x-user-id`) whose value picks the destination, so one user always gets one version. */
  sticky?: string;
  /** A share of its calls copied to another destination. */
  mirror?: Mirror;
}

/** The traffic rule of one service. */
export interface TrafficRule {
  /** The service it routes calls to. */
  service: string;
  /** Tried in order; the first that matches takes the call. */
  routes: Route[];
  /** Who last changed it (kept by the store). */
  author?: string;
  /** When it last changed, ms since the epoch (kept by the store). */
  updated?: number;
}

/** Bounds of rules; past them a 400 naming the field. */
export const ROUTE_LIMITS = {
  /** Routes per rule. */
  routes: 32,
  /** Destinations per route. */
  destinations: 16,
  /** Metadata keys per match or destination. */
  metadataKeys: 16,
  /** The longest metadata key or value, version, name or endpoint. */
  stringLength: 256,
  /** Services with a rule. */
  services: 1000,
} as const;

/** One change of the rules as a watcher sees it. */
export interface RouteChange {
  /** The service whose rule changed. */
  service: string;
  /** Its rule now; undefined: removed. */
  rule: TrafficRule | undefined;
}

/** A stream of rule changes; iterate it, and stop it when done. */
export interface RoutesWatcher extends AsyncIterable<RouteChange> {
  /** Resolves once the watch is in place. */
  readonly ready: Promise<void>;
  /** Ends the watch. */
  stop(): void;
}

/** A version of the rules, as `micro route history` lists them. */
export interface RoutesVersion {
  /** The config version of the rules' namespace. */
  version: number;
  /** Who made it. */
  author: string;
  /** When, ms since the epoch. */
  at: number;
  /** What it was: set, delete or rollback. */
  action: string;
}

/** The traffic rules, kept in a Config (the control plane's by default). */
export interface Routes {
  /** Every rule, by service name. */
  list(): Promise<TrafficRule[]>;
  /** The rule of a service, if any. */
  get(service: string): Promise<TrafficRule | undefined>;
  /** Replaces the rule of `rule.service` (validated: a 400 naming the field, nothing stored). */
  set(rule: TrafficRule, options?: { author?: string }): Promise<TrafficRule>;
  /** Removes the rule of a service (its calls go anywhere again); false when it had none. */
  delete(service: string, options?: { author?: string }): Promise<boolean>;
  /** The versions of the rules, newest first. */
  history(limit?: number): Promise<RoutesVersion[]>;
  /** Makes the rules what they were at a version (default: the one before the latest), as a new version. */
  rollback(version?: number, options?: { author?: string }): Promise<RoutesVersion>;
  /** Reports each rule that changes from now on. */
  watch(): RoutesWatcher;
  /** Stops its watchers (and closes its Config when it opened it). */
  close(): Promise<void>;
}

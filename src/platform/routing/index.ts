// The routing area: traffic rules kept in the Config MICRO_CONFIG names (the control plane's by
// default, namespace `micro-routes`), and the wrappers every client (platform services, the
// gateway, the sidecar, the CLI) applies them with. MICRO_ROUTES=off turns the wrappers off;
// MICRO_ROUTES_REFRESH (ms, default 10000) is how often the rules are read again besides the watch.
//
// Stated bound: a change is seen by every watching client within about 1 s (the watch), at worst
// MICRO_ROUTES_REFRESH after it (a broken watch is also re-read at once when it ends). A client
// reads the rules on its first call, which waits for that read (at most 2 s; a call pinned to a
// node, address or version never waits); the CLI reads them once and does not watch. Limits:
// ROUTE_LIMITS per rule; streams are routed but not mirrored; mirrors in flight are capped.
import type { CallWrapper, Client, StreamWrapper } from '../../runtime/client/client.ts';
import { configFromEnv } from '../config/index.ts';
import { compileRule, routingCallWrapper, routingStreamWrapper } from './apply.ts';
import { createRuleCache } from './cache.ts';
import { createRoutes, ROUTES_NAMESPACE } from './config-routes.ts';
import type { Routes, TrafficRule } from './routing.ts';

export type * from './routing.ts';
export { ROUTE_LIMITS } from './routing.ts';
export {
  createRoutes,
  ROUTES_NAMESPACE,
  rulesOf,
  type ConfigRoutesOptions,
} from './config-routes.ts';
export {
  compileRule,
  MIRROR_KEY,
  MIRRORS_IN_FLIGHT,
  routingCallWrapper,
  routingStreamWrapper,
} from './apply.ts';
export type { CompiledRule, RuleSource } from './apply.ts';
export { createRuleCache, type RuleCache, type RuleCacheOptions } from './cache.ts';
export { checkService, ROUTES_ID, validateRule } from './validate.ts';

/** What routes made from the environment may be given. */
export interface RoutesDefaults {
  /** The client the control plane's config is called with (a service's own); default: one of its own. */
  client?: Client;
  /** Who changes are recorded as made by, when a call names no one. */
  author?: string;
}

/** The rules in the Config named by MICRO_CONFIG (default: the control plane's) at MICRO_CONFIG_ADDRESS. */
export function routesFromEnv(env: NodeJS.ProcessEnv, defaults: RoutesDefaults = {}): Routes {
  const config = configFromEnv(env, {
    namespace: ROUTES_NAMESPACE,
    ...(defaults.client && { client: defaults.client }),
    ...(defaults.author !== undefined && { author: defaults.author }),
  });
  return createRoutes({
    config,
    owned: true,
    ...(defaults.author !== undefined && { author: defaults.author }),
  });
}

/** Traffic rules applied by a client: its wrappers and what they hold. */
export interface Routing {
  /** Routes (and mirrors) each call by the rule of the service called. */
  wrapCall: CallWrapper;
  /** Routes each stream opened by the rule of the service called. */
  wrapStream: StreamWrapper;
  /** The rules held now. */
  rules(): TrafficRule[];
  /**
   * `base` plus every metadata key the rules match on or stick by: the request headers the gateway
   * and the sidecar pass on as metadata. The same array while the rules stay the same.
   */
  headers(base: readonly string[]): readonly string[];
  /** Starts reading the rules (calls do on their own); resolves once the first read was tried. */
  ready(): Promise<void>;
  /** Stops watching the rules. */
  close(): Promise<void>;
}

/** What routing made from the environment may be given. */
export interface RoutingDefaults {
  /** The client the control plane's config is called with, or how to get it once calls begin. */
  client?: Client | (() => Client);
  /** Where the rules are kept (default: routesFromEnv's); closed with the routing. */
  routes?: Routes;
  /** Read the rules once, before the first call, and never watch them (one-shot programs: the CLI). */
  once?: boolean;
}

/** A number of ms from the environment, else the fallback; anything else is a TypeError. */
function millis(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 100)
    throw new TypeError(
      `${name} must be a whole number of milliseconds >= 100, not ${JSON.stringify(text)}`,
    );
  return n;
}

/**
 * The traffic rules applied by a client, read from routesFromEnv's Config on its first call and
 * kept current (MICRO_ROUTES_REFRESH ms, default 10000, besides the watch); undefined when
 * MICRO_ROUTES=off. A call to a service with no rule pays one Map lookup.
 */
export function routingFromEnv(
  env: NodeJS.ProcessEnv,
  defaults: RoutingDefaults = {},
): Routing | undefined {
  const mode = env.MICRO_ROUTES ?? '';
  if (mode === 'off') return undefined;
  if (mode !== '' && mode !== 'on')
    throw new TypeError(`MICRO_ROUTES must be on or off, not ${JSON.stringify(mode)}`);
  const refresh = millis(env, 'MICRO_ROUTES_REFRESH', 10_000);
  let headers: { base: readonly string[]; all: readonly string[] } | undefined;
  const cache = createRuleCache({
    routes: () => {
      if (defaults.routes) return defaults.routes;
      const c = defaults.client;
      return routesFromEnv(env, { ...(c && { client: typeof c === 'function' ? c() : c }) });
    },
    compile: compileRule,
    refresh,
    ...(defaults.once && { once: true }),
    onChange: () => (headers = undefined),
  });
  const keys = (): string[] => [...new Set(cache.rules().flatMap((r) => compileRule(r).keys))];
  return {
    wrapCall: routingCallWrapper(cache),
    wrapStream: routingStreamWrapper(cache),
    rules: () => cache.rules(),
    headers(base) {
      if (headers?.base === base) return headers.all;
      void cache.first();
      const extra = keys().filter((k) => !base.includes(k));
      headers = { base, all: extra.length === 0 ? base : [...base, ...extra] };
      return headers.all;
    },
    ready: () => cache.first(),
    close: () => cache.close(),
  };
}

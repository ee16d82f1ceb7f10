// The routing area: traffic rules kept in the Config MICRO_CONFIG names (the control plane's by
// default, namespace `micro-routes`), and the wrappers every client (platform services, the
// gateway, the sidecar, the CLI) applies them with. MICRO_ROUTES=off turns the wrappers off;
// MICRO_ROUTES_REFRESH (ms, default 10000) is how often the rules are read again besides the watch.
//
// Stated bound: a change is seen by every watching client within about 1 s (the watch), at worst
// MICRO_ROUTES_REFRESH after it (a broken watch is also re-read at once when it ends).
import type { Client } from '../../runtime/client/client.ts';
import { configFromEnv } from '../config/index.ts';
import { createRoutes, ROUTES_NAMESPACE } from './config-routes.ts';
import type { Routes } from './routing.ts';

export type * from './routing.ts';
export { ROUTE_LIMITS } from './routing.ts';
export {
  createRoutes,
  ROUTES_NAMESPACE,
  rulesOf,
  type ConfigRoutesOptions,
} from './config-routes.ts';
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

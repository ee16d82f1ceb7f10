// The dashboard's route to the traffic rules: GET /_/api/routes answers every service's rule
// (routes, matches, weighted destinations, mirrors, stickiness) as the Routes interface lists them
// (routesFromEnv: the control plane's config by default). Read only: `micro route` changes them.
import type { Routes } from '../../platform/routing/routing.ts';
import { areaGet, type AreaRoute } from './area-routes.ts';

/** The routes area's routes, by path under /_/api/. */
export const ROUTES_ROUTES: Readonly<Record<string, AreaRoute<Routes>>> = {
  routes: areaGet({}, async (routes) => ({ rules: await routes.list() })),
};

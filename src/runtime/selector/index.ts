export type * from './selector.ts';
export type { NodeLoad } from './load.ts';
export { createSelector, type CacheSelectorOptions } from './cache.ts';
export {
  latencyAware,
  leastOutstanding,
  nodeCost,
  random,
  roundRobin,
  strategies,
  strategyFromEnv,
  type StrategyName,
} from './strategy.ts';
export { preferZone, REGION_KEY, ZONE_KEY, zoneFilter, zoneMetadata } from './zone.ts';
export type { ZonePreference } from './zone.ts';
export {
  filterEndpoint,
  filterLabel,
  filterVersion,
  HEALTH_KEY,
  markedUnhealthy,
  skipUnhealthy,
} from './filter.ts';

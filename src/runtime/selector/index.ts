export type * from './selector.ts';
export type { NodeLoad } from './load.ts';
export { createSelector, type CacheSelectorOptions } from './cache.ts';
export { random, roundRobin } from './strategy.ts';
export {
  filterEndpoint,
  filterLabel,
  filterVersion,
  HEALTH_KEY,
  markedUnhealthy,
  skipUnhealthy,
} from './filter.ts';

import type { Filter } from './selector.ts';

/** Keeps only the given version. */
export const filterVersion =
  (version: string): Filter =>
  (services) =>
    services.filter((s) => s.version === version);

/** Keeps only nodes whose metadata has key = value. */
export const filterLabel =
  (key: string, value: string): Filter =>
  (services) =>
    services
      .map((s) => ({ ...s, nodes: s.nodes.filter((n) => n.metadata[key] === value) }))
      .filter((s) => s.nodes.length > 0);

/** Keeps only versions that serve the endpoint. */
export const filterEndpoint =
  (endpoint: string): Filter =>
  (services) =>
    services.filter(
      (s) => s.endpoints.length === 0 || s.endpoints.some((e) => e.name === endpoint),
    );

/** The node metadata the control plane's monitor sets on a node it found unhealthy. */
export const HEALTH_KEY = 'micro-health';

/** True when the control plane's monitor marked the node unhealthy. */
export const markedUnhealthy = (n: { metadata: Record<string, string> }): boolean =>
  n.metadata[HEALTH_KEY] === 'unhealthy';

/** Leaves out nodes marked unhealthy while any other node is left (all marked: keeps them all). */
export const skipUnhealthy: Filter = (services) => {
  if (!services.some((s) => s.nodes.some(markedUnhealthy))) return services;
  if (services.every((s) => s.nodes.every(markedUnhealthy))) return services;
  return services
    .map((s) => ({ ...s, nodes: s.nodes.filter((n) => !markedUnhealthy(n)) }))
    .filter((s) => s.nodes.length > 0);
};

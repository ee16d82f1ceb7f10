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

// Zone and region preference: a node says where it runs in its metadata (`zone`, `region`, from
// MICRO_ZONE / MICRO_REGION unless the service's metadata gives them), and the default selector
// keeps a call within its own zone while any node there is usable, else within its region, else
// anywhere. The selector applies it last, after open nodes are gone, and tells it which of the
// rest are usable (not marked unhealthy, not under a penalty): a zone whose nodes all fail gives
// way to the next at once, even where the selector's own fallbacks keep such nodes (every node of
// a version failing). Names are compared exactly; a node without the keys is never in a zone.
import type { Node, Service } from '../../registry/registry.ts';

/** The node metadata key naming its zone. */
export const ZONE_KEY = 'zone';
/** The node metadata key naming its region. */
export const REGION_KEY = 'region';

/**
 * The zone and region a server registers on its node: the service metadata's `zone` / `region`,
 * else MICRO_ZONE / MICRO_REGION; only those set.
 */
export function zoneMetadata(
  metadata: Record<string, string> = {},
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const out: Record<string, string> = {};
  const zone = metadata[ZONE_KEY] || env.MICRO_ZONE?.trim();
  const region = metadata[REGION_KEY] || env.MICRO_REGION?.trim();
  if (zone) out[ZONE_KEY] = zone;
  if (region) out[REGION_KEY] = region;
  return out;
}

/** Narrows services to the nodes of a zone (or region); `usable` says which nodes count (all by default). */
export type ZonePreference = (services: Service[], usable?: (node: Node) => boolean) => Service[];

/** The services' usable nodes whose metadata has key = value; undefined when there is none. */
function within(
  services: Service[],
  key: string,
  value: string,
  usable: (node: Node) => boolean,
): Service[] | undefined {
  const keep = (n: Node): boolean => n.metadata[key] === value && usable(n);
  let total = 0;
  let kept = 0;
  for (const s of services)
    for (const n of s.nodes) {
      total++;
      if (keep(n)) kept++;
    }
  if (kept === 0) return undefined;
  if (kept === total) return services;
  return services
    .map((s) => ({ ...s, nodes: s.nodes.filter(keep) }))
    .filter((s) => s.nodes.length > 0);
}

const anyNode = (): boolean => true;

/**
 * Keeps the usable nodes of `zone` when there is any, else those of `region`, else every node (a
 * preference, never an empty result). Neither given: leaves the services as they are.
 */
export function preferZone(zone?: string, region?: string): ZonePreference {
  if (!zone && !region) return (services) => services;
  return (services, usable = anyNode) =>
    (zone && within(services, ZONE_KEY, zone, usable)) ||
    (region && within(services, REGION_KEY, region, usable)) ||
    services;
}

/** The zone preference of a selector: its options' zone and region, else MICRO_ZONE / MICRO_REGION. */
export function zoneFilter(
  options: { zone?: string; region?: string },
  env: NodeJS.ProcessEnv = process.env,
): ZonePreference {
  return preferZone(
    options.zone ?? (env.MICRO_ZONE?.trim() || undefined),
    options.region ?? (env.MICRO_REGION?.trim() || undefined),
  );
}

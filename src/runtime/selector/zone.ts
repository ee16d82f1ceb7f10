// Zone and region preference: a node says where it runs in its metadata (`zone`, `region`, from
// MICRO_ZONE / MICRO_REGION unless the service's metadata gives them), and the default selector
// keeps a call within its own zone while any node there is usable, else within its region, else
// anywhere. The selector applies this filter last, after the unhealthy, penalised and open nodes
// are gone, so an own zone whose nodes all fail gives way to the others at once. Names are
// compared exactly; a node without the keys is never "in" a zone.
import type { Service } from '../../registry/registry.ts';
import type { Filter } from './selector.ts';

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

/** The services' nodes whose metadata has key = value; undefined when there is none. */
function within(services: Service[], key: string, value: string): Service[] | undefined {
  let total = 0;
  let matched = 0;
  for (const s of services)
    for (const n of s.nodes) {
      total++;
      if (n.metadata[key] === value) matched++;
    }
  if (matched === 0) return undefined;
  if (matched === total) return services;
  return services
    .map((s) => ({ ...s, nodes: s.nodes.filter((n) => n.metadata[key] === value) }))
    .filter((s) => s.nodes.length > 0);
}

/**
 * Keeps the nodes of `zone` when there is any, else those of `region`, else all of them (a
 * preference, never an empty result). Neither given: leaves the services as they are.
 */
export function preferZone(zone?: string, region?: string): Filter {
  if (!zone && !region) return (services) => services;
  return (services) =>
    (zone && within(services, ZONE_KEY, zone)) ||
    (region && within(services, REGION_KEY, region)) ||
    services;
}

/** The zone preference of a selector: its options' zone and region, else MICRO_ZONE / MICRO_REGION. */
export function zoneFilter(
  options: { zone?: string; region?: string },
  env: NodeJS.ProcessEnv = process.env,
): Filter {
  return preferZone(
    options.zone ?? (env.MICRO_ZONE?.trim() || undefined),
    options.region ?? (env.MICRO_REGION?.trim() || undefined),
  );
}

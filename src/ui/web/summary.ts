// The compact forms the dashboard's list pages receive: one summary per service name, and a
// registry event as the Events page shows it; full records are fetched per service.
import type { RegistryService } from '../../runtime/index.ts';
import {
  summarize as summarizeListing,
  type ServiceSummary as ListingSummary,
} from '../../registry/listing.ts';

/** One service name as the services list shows it: the registry listing's summary, and `web`. */
export interface ServiceSummary extends ListingSummary {
  /** True when a version or a node carries handler=web: the dashboard proxies it at /name/. */
  web: boolean;
}

/** A registry event as the Events page shows it. */
export interface RecentEvent {
  id: number;
  /** Milliseconds since the epoch. */
  at: number;
  action: 'create' | 'update' | 'delete';
  name: string;
  version: string;
  /** The first nodes (at most NODES_SHOWN), as `id address`. */
  nodes: string[];
  /** How many nodes the version has (or had, for a delete). */
  nodeCount: number;
  /** Set when the entry lists a topic's subscribers: the topic. */
  topic?: string;
}

/** How many nodes a RecentEvent names. */
export const NODES_SHOWN = 8;

/** The summary of one name's versions. */
export function summarize(name: string, versions: Iterable<RegistryService>): ServiceSummary {
  const list = [...versions];
  const web = list.some(
    (s) => s.metadata.handler === 'web' || s.nodes.some((n) => n.metadata.handler === 'web'),
  );
  return { ...summarizeListing(name, list), web };
}

/** An event in its compact form. */
export function compactEvent(e: {
  id: number;
  at: number;
  action: RecentEvent['action'];
  service: RegistryService;
  topic?: string;
}): RecentEvent {
  const { service: s } = e;
  const out: RecentEvent = {
    id: e.id,
    at: e.at,
    action: e.action,
    name: s.name,
    version: s.version,
    nodes: s.nodes.slice(0, NODES_SHOWN).map((n) => `${n.id} ${n.address}`),
    nodeCount: s.nodes.length,
  };
  if (e.topic !== undefined) out.topic = e.topic;
  return out;
}

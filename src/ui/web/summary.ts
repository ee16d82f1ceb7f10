// The compact forms the dashboard's list pages receive: one summary per service name, and a
// registry event as the Events page shows it; full records are fetched per service.
import type { RegistryService } from '../../runtime/index.ts';
import { compareNatural } from '../../registry/listing.ts';

/** One service name as the services list shows it. */
export interface ServiceSummary {
  name: string;
  /** Its versions, in natural order. */
  versions: string[];
  /** Nodes across its versions. */
  nodes: number;
  /** Distinct endpoint names across its versions. */
  endpoints: number;
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

/** Natural order (`svc-2` before `svc-10`), total: the registry listing's own. */
export const naturalCompare = compareNatural;

/** The summary of one name's versions. */
export function summarize(name: string, versions: Iterable<RegistryService>): ServiceSummary {
  const list = [...versions];
  const endpoints = new Set<string>();
  let nodes = 0;
  let web = false;
  for (const s of list) {
    nodes += s.nodes.length;
    for (const e of s.endpoints) endpoints.add(e.name);
    if (s.metadata.handler === 'web' || s.nodes.some((n) => n.metadata.handler === 'web'))
      web = true;
  }
  const names = list.map((s) => s.version).sort(naturalCompare);
  return { name, versions: names, nodes, endpoints: endpoints.size, web };
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

// Debug.Metrics: one node's request counts as JSON (NodeMetrics), read by the control plane's
// metrics service on its interval. The counts are those since the node started; readers compute
// rates from the difference between two reads. Circuits are the client's as they are now.
import type { CircuitInfo } from '../../runtime/resilience/policy.ts';
import type { NodeMetrics } from './metrics.ts';
import { endpointCounts, type RequestCounts } from './observer.ts';

/** Who the node is: read when answering, since the node id is known only once the server is made. */
export interface NodeIdentity {
  version: string;
  node: string;
  /** Its client's circuits (its selector's), when the selector keeps them. */
  circuits?: CircuitInfo[];
}

/** What Debug.Metrics answers for these counts. */
export function nodeMetrics(counts: RequestCounts, who: NodeIdentity): NodeMetrics {
  return {
    service: counts.service,
    version: who.version,
    node: who.node,
    time: Date.now(),
    endpoints: counts.tallies().map(endpointCounts),
    streams: counts.streams,
    broker: { published: counts.published, delivered: counts.delivered },
    ...(who.circuits && { circuits: who.circuits }),
  };
}

// Probing nodes directly, as `micro health`, `micro stats` and the bot's `health` do: an endpoint
// (Debug.Health, Debug.Stats) called on every node of some service versions, each over its own
// transport with no retry, and a node's Debug.Health answer as a row. An app behind a sidecar has
// no Debug.* endpoints: its 404 says it is up (the sidecar registers it only while it is healthy).
// Limits: the nodes given are probed all at once; each within `timeout` ms.
import type { Node, Service } from '../../registry/registry.ts';
import type { Client } from '../../runtime/client/client.ts';
import { toMicroError, type ErrorShape } from '../../runtime/errors.ts';
import type { CheckResult } from './monitor.ts';

/** What one node answered to a probe. */
export interface Probe<T = unknown> {
  version: string;
  node: Node;
  /** Milliseconds until the answer or the failure. */
  ms: number;
  body?: T;
  error?: ErrorShape;
  /** The node answered but has no such endpoint: an app behind a sidecar, which has no Debug.*. */
  unsupported?: true;
}

/** True when an app registered by a sidecar itself answered 404: it is up, without that endpoint. */
export const lacksEndpoint = (node: Node, err: ErrorShape): boolean =>
  node.metadata.sidecar === 'true' && err.code === 404 && err.id !== 'micro.client';

/** How probing is done besides its timeout. */
export interface ProbeOptions {
  /** The id a failure that is not a micro error is given (default `micro.cli`). */
  id?: string;
  /** Cancels the probes still waiting. */
  signal?: AbortSignal;
}

/** Calls an endpoint (Debug.Health, Debug.Stats) on every node of every version, each directly over its own transport. */
export async function probeNodes<T>(
  client: Client,
  versions: Service[],
  endpoint: string,
  timeout: number,
  options: ProbeOptions = {},
): Promise<Probe<T>[]> {
  const id = options.id ?? 'micro.cli';
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  const jobs = versions.flatMap((s) =>
    s.nodes.map(async (node): Promise<Probe<T>> => {
      const start = performance.now();
      const took = () => Math.round((performance.now() - start) * 10) / 10;
      try {
        const body = await client.call<T>(
          s.name,
          endpoint,
          {},
          {
            node,
            timeout,
            retries: 0,
            ...signal,
          },
        );
        return { version: s.version, node, ms: took(), body };
      } catch (err) {
        const error = toMicroError(err, id).toJSON();
        if (lacksEndpoint(node, error))
          return { version: s.version, node, ms: took(), unsupported: true };
        return { version: s.version, node, ms: took(), error };
      }
    }),
  );
  return Promise.all(jobs);
}

/** One node's health as `micro health` shows it. */
export interface Health {
  /** The service, when several are shown. */
  service?: string;
  node: string;
  address: string;
  version: string;
  /** What Debug.Health said (`ok`, `degraded`, `unhealthy`), or `failed`. */
  status: string;
  ms: number;
  /** The node's own checks, as it reported them. */
  checks?: CheckResult[];
  /** What the control plane's monitor saw, when it has probed the node. */
  monitor?: { status: string; since: number; detail?: string };
  error?: { id: string; code: number; detail: string; status: string };
}

/** The statuses of a node that answers: it serves (degraded: a non-critical check fails). */
export const answering = (status: string): boolean => status === 'ok' || status === 'degraded';

/** One node's Debug.Health probe as a row. */
export const healthOf = (
  p: Probe<{ status?: string; checks?: CheckResult[] }>,
  service?: string,
): Health => ({
  ...(service !== undefined && { service }),
  node: p.node.id,
  address: p.node.address,
  version: p.version,
  // An app behind a sidecar has no Debug.Health; the sidecar registers it only while it is healthy.
  status: p.error ? 'failed' : p.unsupported ? 'ok' : String(p.body?.status ?? 'unknown'),
  ms: p.ms,
  ...(Array.isArray(p.body?.checks) && p.body.checks.length > 0 && { checks: p.body.checks }),
  ...(p.error ? { error: p.error } : {}),
});

/** A node's checks in a cell: the failing ones with their detail, then how many pass. */
export function checksText(checks: CheckResult[]): string {
  if (checks.length === 0) return '-';
  const failing = checks
    .filter((c) => c.status === 'failing')
    .map(
      (c) =>
        `${c.name}${c.critical ? '' : ' (non-critical)'} failing${c.detail ? `: ${c.detail}` : ''}`,
    );
  const ok = checks.length - failing.length;
  return [...failing, ...(ok > 0 ? [`${ok} ok`] : [])].join('; ');
}

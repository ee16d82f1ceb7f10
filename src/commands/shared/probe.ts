import type { Node, Service } from '../../registry/registry.ts';
import type { Client } from '../../runtime/client/client.ts';
import type { ErrorShape } from '../../runtime/errors.ts';

/** What one node answered to a probe. */
export interface Probe<T = unknown> {
  version: string;
  node: Node;
  /** Milliseconds until the answer or the failure. */
  ms: number;
  body?: T;
  error?: ErrorShape;
}

/** Calls an endpoint (Debug.Health, Debug.Stats) on every node of every version, directly by address. */
export async function probeNodes<T>(
  client: Client,
  versions: Service[],
  endpoint: string,
  timeout: number,
): Promise<Probe<T>[]> {
  const { toMicroError } = await import('../../runtime/errors.ts');
  const jobs = versions.flatMap((s) =>
    s.nodes.map(async (node): Promise<Probe<T>> => {
      const start = performance.now();
      const took = () => Math.round((performance.now() - start) * 10) / 10;
      try {
        const body = await client.call<T>(
          s.name,
          endpoint,
          {},
          { address: node.address, timeout, retries: 0 },
        );
        return { version: s.version, node, ms: took(), body };
      } catch (err) {
        return {
          version: s.version,
          node,
          ms: took(),
          error: toMicroError(err, 'micro.cli').toJSON(),
        };
      }
    }),
  );
  return Promise.all(jobs);
}

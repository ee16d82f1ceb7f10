import {
  toMicroError,
  type Client,
  type ErrorShape,
  type Node as RegistryNode,
  type RegistryService,
} from '../../runtime/index.ts';
import { WEB_ID } from './web.ts';

/** What one node answered to Debug.Health. */
export interface NodeHealth {
  service: string;
  version: string;
  node: string;
  address: string;
  /** `ok`, what else the node said, or `failed`. */
  status: string;
  /** Milliseconds until the answer or the failure. */
  ms: number;
  error?: ErrorShape;
}

/** How many nodes are probed at once by default. */
export const HEALTH_CONCURRENCY = 32;

/**
 * Calls Debug.Health on every node of the given service versions, each directly over its own
 * transport, at most `concurrency` at a time (a fleet of 10,000 nodes is not probed all at once);
 * the rows come back in the order of the nodes given.
 */
export async function checkHealth(
  client: Client,
  versions: RegistryService[],
  timeout: number,
  concurrency = HEALTH_CONCURRENCY,
): Promise<NodeHealth[]> {
  const probes = versions.flatMap((s) =>
    s.nodes.map((node) => () => probe(client, s, node, timeout)),
  );
  const rows: NodeHealth[] = new Array<NodeHealth>(probes.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < probes.length) {
      const i = next++;
      rows[i] = await probes[i]!();
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(Math.max(1, concurrency), probes.length) }, worker),
  );
  return rows;
}

/** Debug.Health of one node, as a row. */
async function probe(
  client: Client,
  s: RegistryService,
  node: RegistryNode,
  timeout: number,
): Promise<NodeHealth> {
  const row = { service: s.name, version: s.version, node: node.id, address: node.address };
  const t0 = performance.now();
  const ms = (): number => Math.round((performance.now() - t0) * 10) / 10;
  try {
    const body = await client.call<{ status?: unknown }>(
      s.name,
      'Debug.Health',
      {},
      { node, timeout, retries: 0 },
    );
    const status = typeof body?.status === 'string' ? body.status : 'unknown';
    return { ...row, status, ms: ms() };
  } catch (err) {
    const error = toMicroError(err, WEB_ID).toJSON();
    // An app behind a sidecar has no Debug.Health, and is registered only while it is healthy.
    if (node.metadata.sidecar === 'true' && error.code === 404 && error.id !== 'micro.client')
      return { ...row, status: 'ok', ms: ms() };
    return { ...row, status: 'failed', ms: ms(), error };
  }
}

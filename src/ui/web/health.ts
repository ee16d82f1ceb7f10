import {
  toMicroError,
  type Client,
  type ErrorShape,
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

/** Calls Debug.Health on every node of the given service versions, each directly over its own transport. */
export async function checkHealth(
  client: Client,
  versions: RegistryService[],
  timeout: number,
): Promise<NodeHealth[]> {
  return Promise.all(
    versions.flatMap((s) =>
      s.nodes.map(async (node): Promise<NodeHealth> => {
        const row = { service: s.name, version: s.version, node: node.id, address: node.address };
        const t0 = performance.now();
        const ms = (): number => Math.round((performance.now() - t0) * 10) / 10;
        try {
          const body = await client.call<{ status?: unknown }>(
            s.name,
            'Debug.Health',
            {},
            {
              node,
              timeout,
              retries: 0,
            },
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
      }),
    ),
  );
}

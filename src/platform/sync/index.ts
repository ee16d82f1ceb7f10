// PLACEHOLDER: the sync area's table of implementations; replaced by the area's implementation.
import type { Client } from '../../runtime/client/client.ts';
import type { Sync } from './sync.ts';

/** The sync named by MICRO_SYNC (default `micro`, the control plane's), at MICRO_SYNC_ADDRESS. */
export function syncFromEnv(
  _env: NodeJS.ProcessEnv,
  _defaults: { client?: Client; id?: string },
): Sync {
  throw new Error('sync is not built yet');
}

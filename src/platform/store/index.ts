// PLACEHOLDER: the store area's table of implementations; replaced by the area's implementation.
import type { Client } from '../../runtime/client/client.ts';
import type { Store } from './store.ts';

/** The store named by MICRO_STORE (default `micro`, the control plane's), at MICRO_STORE_ADDRESS. */
export function storeFromEnv(
  _env: NodeJS.ProcessEnv,
  _defaults: { client?: Client; database?: string },
): Store {
  throw new Error('the store is not built yet');
}

// micro's Config client (the `micro` implementation, calling the control plane's config service),
// as the watch phase opens it in the bench and in its watchers child.
import type { Config } from '../../src/platform/config/config.ts';

/** A Config client of the control plane at address. */
export function configClient(_address: string): Promise<Config> {
  return Promise.reject(new Error('the micro Config client is not on this branch yet'));
}

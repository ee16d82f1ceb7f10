// micro's Config client (the `micro` implementation, calling the control plane's config service),
// made as a service makes it from MICRO_CONFIG and MICRO_CONFIG_ADDRESS: each one its own RPC client.
import type { Config } from '../../src/platform/config/config.ts';

/** A Config client of the control plane at address. */
export async function configClient(address: string): Promise<Config> {
  const { configFromEnv } = await import('../../src/platform/config/index.ts');
  return configFromEnv({ MICRO_CONFIG: 'micro', MICRO_CONFIG_ADDRESS: address });
}

import { createMicroRegistry } from '../../registry/micro.ts';
import { createClient } from '../../runtime/client/rpc-client.ts';
import { serviceUnavailable } from '../../runtime/errors.ts';
import type { GlobalArgs } from './options.ts';

/** Calls the control plane's runtime service; says to start micro when it is not running. */
export async function runtimeCall<T>(
  argv: GlobalArgs,
  endpoint: string,
  request: unknown,
): Promise<T> {
  const registry = createMicroRegistry({ address: argv.registryAddress, timeout: 2000 });
  const client = createClient({ registry });
  try {
    return await client.call<T>('runtime', endpoint, request, { timeout: 15_000 });
  } catch (err) {
    const e = err as { id?: string; code?: number; detail?: string };
    if (e.id === 'micro.client' && (e.code === 404 || e.code === 503)) {
      throw serviceUnavailable(
        'micro.cli',
        `no micro runtime answers through the registry at ${argv.registryAddress}: start it with "micro run" (${e.detail ?? ''})`,
      );
    }
    throw err;
  } finally {
    await client.close();
    await registry.close();
  }
}

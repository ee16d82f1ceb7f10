import type { Registry } from '../../registry/registry.ts';
import type { Client } from '../../runtime/client/client.ts';
import { serviceUnavailable } from '../../runtime/errors.ts';
import { openRegistry, tokenFor } from './connect.ts';
import type { GlobalArgs } from './options.ts';

/**
 * Runs fn with a client that reaches the runtime service through the chosen registry (where micro
 * run registered it: the control plane, etcd or NATS), over tcp as the control plane serves it.
 */
export async function withRuntime<T>(
  argv: Pick<GlobalArgs, 'registry' | 'registryAddress'>,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const [{ createClient }, { createTcpTransport }, { bearerOptions }] = await Promise.all([
    import('../../runtime/client/rpc-client.ts'),
    import('../../runtime/transport/tcp/index.ts'),
    import('./auth-token.ts'),
  ]);
  const token = await tokenFor(argv, {});
  const registry: Registry = await openRegistry(argv, { timeout: 2000, token: token ?? false });
  const client = createClient({
    registry,
    transport: createTcpTransport(),
    ...(token && bearerOptions(async () => token)),
  });
  try {
    return await fn(client);
  } catch (err) {
    const e = err as { id?: string; code?: number; detail?: string };
    if (e.id === 'micro.client' && (e.code === 404 || e.code === 503)) {
      throw serviceUnavailable(
        'micro.cli',
        `no micro runtime answers through the registry (${registry.name} at ${registry.address}): start it with "micro run" (${e.detail ?? ''})`,
      );
    }
    throw err;
  } finally {
    await client.close();
    await registry.close();
  }
}

/** Calls the control plane's runtime service; says to start micro when it is not running. */
export function runtimeCall<T>(
  argv: Pick<GlobalArgs, 'registry' | 'registryAddress'>,
  endpoint: string,
  request: unknown,
): Promise<T> {
  return withRuntime(argv, (client) =>
    client.call<T>('runtime', endpoint, request, { timeout: 15_000 }),
  );
}

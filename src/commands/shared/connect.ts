import type { Registry } from '../../registry/registry.ts';
import type { Client } from '../../runtime/client/client.ts';
import type { GlobalArgs } from './options.ts';

/** What a command talks through: the registry named by the global options, and a client over it. */
export interface Connection {
  registry: Registry;
  client: Client;
}

/** Options for opening a registry beyond the global arguments. */
export interface OpenOptions {
  /** Milliseconds to wait for the registry's answers. */
  timeout?: number;
}

/** Builds the registry named by --registry at --registry-address; an unknown name is a 400 naming the valid ones. */
export async function openRegistry(
  args: Pick<GlobalArgs, 'registry' | 'registryAddress'>,
  options: OpenOptions = {},
): Promise<Registry> {
  const { registries } = await import('../../registry/index.ts');
  const { badRequest } = await import('../../runtime/errors.ts');
  const names = Object.keys(registries);
  if (!names.includes(args.registry)) {
    throw badRequest(
      'micro.cli',
      `unknown registry "${args.registry}" (--registry or MICRO_REGISTRY): use one of ${names.join(', ')}`,
    );
  }
  const make = registries[args.registry as keyof typeof registries];
  return make({ address: args.registryAddress, timeout: options.timeout });
}

/** Runs fn with a registry and a client, then closes both so the process can exit. */
export async function withConnection<T>(
  args: Pick<GlobalArgs, 'registry' | 'registryAddress'>,
  fn: (c: Connection) => Promise<T>,
  options: OpenOptions = {},
): Promise<T> {
  const registry = await openRegistry(args, options);
  try {
    const [{ createClient }, { createSelector }] = await Promise.all([
      import('../../runtime/client/rpc-client.ts'),
      import('../../runtime/selector/cache.ts'),
    ]);
    // One command, one lookup: no registry watch to open and tear down.
    const client = createClient({ registry, selector: createSelector({ registry, watch: false }) });
    try {
      return await fn({ registry, client });
    } catch (err) {
      throw await asMicroError(err);
    } finally {
      await client.close();
    }
  } finally {
    await registry.close();
  }
}

/** Runs fn with a registry only, then closes it. */
export async function withRegistry<T>(
  args: Pick<GlobalArgs, 'registry' | 'registryAddress'>,
  fn: (registry: Registry) => Promise<T>,
  options: OpenOptions = {},
): Promise<T> {
  const registry = await openRegistry(args, options);
  try {
    return await fn(registry);
  } catch (err) {
    throw await asMicroError(err);
  } finally {
    await registry.close();
  }
}

/** Gives registry failures their wire code: not found 404, invalid 400, unreachable 503. */
export async function asMicroError(err: unknown): Promise<unknown> {
  const { RegistryError, RegistryErrors } = await import('../../registry/registry.ts');
  const { MicroError } = await import('../../runtime/errors.ts');
  if (err instanceof RegistryError) {
    const code =
      err.code === RegistryErrors.notFound ? 404 : err.code === RegistryErrors.invalid ? 400 : 503;
    return new MicroError('micro.cli', code, err.message);
  }
  return err;
}

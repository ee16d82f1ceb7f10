import type { RegistryFactoryOptions } from '../../registry/index.ts';
import type { Registry, RegistryFactory } from '../../registry/registry.ts';
import type { Broker, BrokerFactory } from '../../runtime/broker/broker.ts';
import type { Client } from '../../runtime/client/client.ts';
import type { Transport, TransportFactory } from '../../runtime/transport/transport.ts';
import { registryAddress, type GlobalArgs } from './options.ts';

/** What a command talks through: the registry named by the global options, and a client over it. */
export interface Connection {
  registry: Registry;
  client: Client;
}

/** The global options that choose the registry, and the broker and transport (http and tcp when absent). */
export type PluginArgs = Pick<GlobalArgs, 'registry' | 'registryAddress'> &
  Partial<Pick<GlobalArgs, 'broker' | 'brokerAddress' | 'transport' | 'transportAddress'>>;

/** Options for opening a registry beyond the global arguments. */
export interface OpenOptions {
  /** Milliseconds to wait for the registry's answers. */
  timeout?: number;
  /**
   * The token to send (`authorization: Bearer`): by default the CLI's (MICRO_AUTH_TOKEN or the
   * stored login, src/commands/shared/auth-token.ts); false sends none (the token endpoint).
   */
  token?: string | false | (() => string | undefined | Promise<string | undefined>);
  /** Apply the traffic rules (routingFromEnv: `micro call` and `micro stream`); read before the first call. */
  routed?: boolean;
}

/** The token options name: the one given, none for false, else the CLI's for this registry. */
export async function tokenFor(
  args: Pick<GlobalArgs, 'registry' | 'registryAddress'>,
  options: OpenOptions,
): Promise<string | undefined> {
  if (options.token === false) return undefined;
  if (typeof options.token === 'function') return options.token();
  if (options.token !== undefined) return options.token;
  const { cliToken } = await import('./auth-token.ts');
  return cliToken(args);
}

/** Builds the registry named by --registry at --registry-address; an unknown name is a 400 naming the valid ones. */
export async function openRegistry(
  args: Pick<GlobalArgs, 'registry' | 'registryAddress'>,
  options: OpenOptions = {},
): Promise<Registry> {
  const { registries } = await import('../../registry/index.ts');
  const make = await choose<RegistryFactory<RegistryFactoryOptions>>(
    registries,
    'registry',
    args.registry,
  );
  // The control plane's registry sends it with each request (src/registry/micro.ts); others ignore it.
  const token = options.token;
  const { cliToken } = await import('./auth-token.ts');
  return make({
    address: registryAddress(args),
    timeout: options.timeout,
    ...(token !== false && {
      token:
        typeof token === 'function'
          ? token
          : token !== undefined
            ? () => token
            : () => cliToken(args),
    }),
  });
}

export { registryAddress };

/** The factory named by the flag `--<what>` (or its MICRO_ variable) in the framework's table, or a 400 naming the valid ones. */
async function choose<F>(
  table: Readonly<Record<string, F>>,
  what: string,
  name: string,
): Promise<F> {
  const [{ pickPlugin }, { badRequest }] = await Promise.all([
    import('../../runtime/plugins.ts'),
    import('../../runtime/errors.ts'),
  ]);
  try {
    return pickPlugin(table, what, name, `--${what} or MICRO_${what.toUpperCase()}`);
  } catch (err) {
    throw badRequest('micro.cli', (err as Error).message);
  }
}

/** Builds the broker named by --broker at --broker-address (not connected). */
export async function openBroker(
  args: Pick<PluginArgs, 'broker' | 'brokerAddress'>,
  registry: Registry,
): Promise<Broker> {
  const { brokers } = await import('../../runtime/broker/index.ts');
  const make = await choose<BrokerFactory>(brokers, 'broker', args.broker ?? 'http');
  return make({ address: args.brokerAddress || undefined, registry });
}

/** Builds the transport named by --transport, given --transport-address. */
export async function openTransport(
  args: Pick<PluginArgs, 'transport' | 'transportAddress'>,
): Promise<Transport> {
  const { transports } = await import('../../runtime/transport/index.ts');
  const make = await choose<TransportFactory>(transports, 'transport', args.transport ?? 'tcp');
  return make({ address: args.transportAddress || undefined });
}

/** Runs fn with a registry, a broker and a client over the chosen transport, then closes them so the process can exit. */
export async function withConnection<T>(
  args: PluginArgs,
  fn: (c: Connection) => Promise<T>,
  options: OpenOptions = {},
): Promise<T> {
  // MICRO_RESILIENCY's policy: read first, so that a bad file is all that happens.
  const policy = await (await import('./resiliency.ts')).resiliencyPolicy(undefined);
  const token = await tokenFor(args, options);
  const registry = await openRegistry(args, { ...options, token: token ?? false });
  try {
    const [{ createClient }, { createSelector }, { connectOnPublish }, { bearerOptions }] =
      await Promise.all([
        import('../../runtime/client/rpc-client.ts'),
        import('../../runtime/selector/cache.ts'),
        import('../../runtime/broker/index.ts'),
        import('./auth-token.ts'),
      ]);
    const broker = await openBroker(args, registry);
    const transport = await openTransport(args);
    // One command, one lookup: no registry watch to open and tear down.
    const sent = async (): Promise<string | undefined> => token;
    const routing = options.routed
      ? (await import('../../platform/routing/index.ts')).routingFromEnv(process.env, {
          client: () => client,
          once: true,
        })
      : undefined;
    const bearer = token ? bearerOptions(sent) : undefined;
    const client = createClient({
      registry,
      transport,
      broker: connectOnPublish(broker),
      selector: createSelector({ registry, watch: false, policy }),
      policy,
      ...bearer,
      // The rules outside the token's wrappers: both apply (one must not replace the other).
      ...(routing && {
        wrappers: [routing.wrapCall, ...(bearer?.wrappers ?? [])],
        streamWrappers: [routing.wrapStream, ...(bearer?.streamWrappers ?? [])],
      }),
    });
    try {
      return await fn({ registry, client });
    } catch (err) {
      throw await asMicroError(err);
    } finally {
      await routing?.close();
      await client.close();
      await broker.disconnect();
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

/**
 * Gives registry and broker failures their wire code: not found 404; an invalid record or topic
 * 400; a registry or broker that does not answer 503.
 */
export async function asMicroError(err: unknown): Promise<unknown> {
  const [{ RegistryError, registryStatus }, { BrokerError, BrokerErrors }, { MicroError }] =
    await Promise.all([
      import('../../registry/registry.ts'),
      import('../../runtime/broker/broker.ts'),
      import('../../runtime/errors.ts'),
    ]);
  if (err instanceof RegistryError)
    return new MicroError('micro.cli', registryStatus(err), err.message);
  if (err instanceof BrokerError)
    return new MicroError(
      'micro.cli',
      err.code === BrokerErrors.invalidTopic ? 400 : 503,
      err.message,
    );
  return err;
}

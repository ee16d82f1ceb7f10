// The environment the services `micro run` starts in the foreground get: the registry, broker and
// transport chosen, and with the micro registry a control plane, started here when none answers.
import type { ControlPlane } from '../../controlplane/index.ts';
import { RegistryErrors } from '../../registry/registry.ts';
import type { ControlPlaneArgs, RunArgs } from './args.ts';

/** The services' environment, and the control plane this process started for them, if any. */
export interface ServiceEnvironment {
  env: NodeJS.ProcessEnv;
  /** Stop it once the services have stopped. */
  started: ControlPlane | undefined;
}

/**
 * The environment for the services. With the micro registry, starts the control plane in this
 * process if none answers; other registries (etcd, NATS) need no control plane to be found in.
 */
export async function serviceEnvironment(
  argv: RunArgs,
  cp: ControlPlaneArgs,
): Promise<ServiceEnvironment> {
  const [{ createMicroRegistry }, { openControlPlane, printAdminSecret, servicesEnvironment }] =
    await Promise.all([import('../../registry/micro.ts'), import('../shared/control-plane.ts')]);
  const env: NodeJS.ProcessEnv = { ...process.env, ...(await servicesEnvironment(argv)) };
  if (argv.registry !== 'micro') return { env, started: undefined };
  const { cliToken } = await import('../shared/auth-token.ts');
  const probe = createMicroRegistry({
    address: argv.registryAddress,
    timeout: 1000,
    token: () => cliToken(argv),
  });
  // A control plane that refuses the listing (auth on) answers all the same.
  const running = await probe.listServices().then(
    () => true,
    (err: { code?: string }) =>
      err.code === RegistryErrors.unauthorized || err.code === RegistryErrors.forbidden,
  );
  await probe.close();
  const started = running ? undefined : await openControlPlane({ ...cp, supervise: false });
  if (started) {
    process.stderr.write(
      `micro: no registry answered at ${argv.registryAddress}, so one runs in this process\n`,
    );
    await printAdminSecret(started);
  }
  env.MICRO_REGISTRY = 'micro';
  env.MICRO_REGISTRY_ADDRESS = started?.address ?? argv.registryAddress;
  return { env, started };
}

/** A registry and client for watching the services start, from their environment; close() ends both. */
export async function observer(env: NodeJS.ProcessEnv): Promise<{
  registry: import('../../registry/registry.ts').Registry;
  client: import('../../runtime/client/client.ts').Client;
  close(): Promise<void>;
}> {
  const [{ registryFromEnv, transportFromEnv }, { createClient }] = await Promise.all([
    import('../../runtime/defaults.ts'),
    import('../../runtime/client/rpc-client.ts'),
  ]);
  const registry = registryFromEnv(env);
  const client = createClient({ registry, transport: transportFromEnv(env) });
  return {
    registry,
    client,
    async close() {
      await client.close();
      await registry.close();
    },
  };
}

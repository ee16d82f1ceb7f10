// The environment the services `micro run` starts in the foreground get: the registry, broker and
// transport chosen, and with the micro registry a control plane, started here when none answers.
import type { ControlPlane } from '../../controlplane/index.ts';
import { withoutCredentials } from '../../controlplane/service-accounts.ts';
import { RegistryErrors } from '../../registry/registry.ts';
import type { ControlPlaneArgs, RunArgs } from './args.ts';

/** The services' environment, and the control plane this process started for them, if any. */
export interface ServiceEnvironment {
  /** Without the CLI's own credentials (MICRO_AUTH_TOKEN...): see credentialsFor. */
  env: NodeJS.ProcessEnv;
  /** Stop it once the services have stopped. */
  started: ControlPlane | undefined;
  /** Whether the running control plane enforces auth (it refused an anonymous listing). */
  enforced: boolean;
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
  const env: NodeJS.ProcessEnv = withoutCredentials({
    ...process.env,
    ...(await servicesEnvironment(argv)),
  });
  if (argv.registry !== 'micro') return { env, started: undefined, enforced: false };
  const probe = createMicroRegistry({ address: argv.registryAddress, timeout: 1000 });
  // A control plane that refuses an anonymous listing enforces auth, and answers all the same.
  const answer = await probe.listServices().then(
    () => 'open',
    (err: { code?: string }) => (err.code === RegistryErrors.unauthorized ? 'enforced' : 'none'),
  );
  await probe.close();
  const running = answer !== 'none';
  const started = running ? undefined : await openControlPlane({ ...cp, supervise: false });
  if (started) {
    process.stderr.write(
      `micro: no registry answered at ${argv.registryAddress}, so one runs in this process\n`,
    );
    await printAdminSecret(started);
  }
  env.MICRO_REGISTRY = 'micro';
  env.MICRO_REGISTRY_ADDRESS = started?.address ?? argv.registryAddress;
  // Their loggers' lines go to the control plane's logs too (src/platform/logs/ship.ts).
  env.MICRO_LOG_COLLECT ??= 'on';
  return { env, started, enforced: answer === 'enforced' };
}

/**
 * A registry and client for watching the services start, from their environment, carrying the
 * CLI's token when the control plane enforces auth; close() ends both.
 */
export async function observer(
  env: NodeJS.ProcessEnv,
  argv?: Pick<RunArgs, 'registry' | 'registryAddress'>,
): Promise<{
  registry: import('../../registry/registry.ts').Registry;
  client: import('../../runtime/client/client.ts').Client;
  close(): Promise<void>;
}> {
  const [{ registryFromEnv, transportFromEnv }, { createClient }, { cliToken }] = await Promise.all(
    [
      import('../../runtime/defaults.ts'),
      import('../../runtime/client/rpc-client.ts'),
      import('../shared/auth-token.ts'),
    ],
  );
  const token = argv && (await cliToken(argv));
  const registry = registryFromEnv(env, token ? { token: () => token } : {});
  const client = createClient({
    registry,
    transport: transportFromEnv(env),
    ...(token && { defaults: { metadata: { authorization: `Bearer ${token}` } } }),
  });
  return {
    registry,
    client,
    async close() {
      await client.close();
      await registry.close();
    },
  };
}

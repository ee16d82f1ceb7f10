// The account a service `micro run ./svc` starts in the foreground runs as, when its control plane
// enforces auth: the same service account (id = the service's name) the supervisor gives `micro run
// -d`'s services, made through the control plane started in this process, or through a running one
// with the CLI's token (cliToken: an admin's, or one allowed `auth:accounts:write`). The variables
// go into the service's environment only; the CLI's own credentials never do.
import type { ControlPlane } from '../../controlplane/index.ts';
import type { GlobalArgs } from '../shared/options.ts';

/**
 * MICRO_AUTH, MICRO_AUTH_ID and MICRO_AUTH_SECRET for the service `name`: none when auth is off,
 * else from `started` (this process's control plane) or from the running one with the CLI's token.
 */
export async function credentialsFor(
  argv: Pick<GlobalArgs, 'registry' | 'registryAddress'>,
  name: string,
  plane: { started: ControlPlane | undefined; enforced: boolean },
): Promise<Record<string, string>> {
  if (plane.started) return (await plane.started.accounts?.credentials(name)) ?? {};
  if (!plane.enforced) return {};
  const [{ cliToken }, { createMicroAuth }, { serviceAccounts }, { unauthorized }] =
    await Promise.all([
      import('../shared/auth-token.ts'),
      import('../../platform/auth/client.ts'),
      import('../../controlplane/service-accounts.ts'),
      import('../../runtime/errors.ts'),
    ]);
  const token = await cliToken(argv);
  if (!token)
    throw unauthorized(
      'micro.cli',
      `the control plane at ${argv.registryAddress} enforces auth: log in (micro login) or set MICRO_AUTH_TOKEN to run ${name} under it`,
    );
  const auth = createMicroAuth({ address: argv.registryAddress, token });
  try {
    return await serviceAccounts(auth).credentials(name);
  } finally {
    await auth.close();
  }
}

// The traffic rules `micro route` reads and changes: kept in the Config the global options name
// (the control plane's by default, or --config etcd...), changes recorded as made by this user.
import type { Routes, TrafficRule } from '../../platform/routing/routing.ts';
import { withConfig } from '../config.ts';
import type { Args } from '../shared/command.ts';

/** Who changes are recorded as made by: $USER, else the account's name. */
export async function cliAuthor(): Promise<string> {
  const { userInfo } = await import('node:os');
  return process.env.USER || userInfo().username;
}

/** Runs fn with the rules of the Config the options name, then closes them. */
export async function withRoutes<T>(
  args: Args<object>,
  fn: (routes: Routes) => Promise<T>,
): Promise<T> {
  const { createRoutes } = await import('../../platform/routing/config-routes.ts');
  return withConfig(args, async (config) => {
    const routes = createRoutes({ config });
    try {
      return await fn(routes);
    } finally {
      await routes.close();
    }
  });
}

/** The warning for the destinations of a stored rule that no running node matches (none when the registry cannot be read). */
export async function unreached(
  args: Args<object>,
  rule: TrafficRule,
): Promise<string | undefined> {
  const [{ withRegistry }, { unreachedWarning }, { RegistryError, RegistryErrors }] =
    await Promise.all([
      import('../shared/connect.ts'),
      import('./warn.ts'),
      import('../../registry/registry.ts'),
    ]);
  // Not found: no node of the service runs. Any other failure: no warning at all.
  const running = (err: unknown): [] => {
    if (err instanceof RegistryError && err.code === RegistryErrors.notFound) return [];
    throw err;
  };
  try {
    return await withRegistry(args, async (registry) =>
      unreachedWarning(rule, await registry.getService(rule.service).catch(running)),
    );
  } catch {
    return undefined;
  }
}

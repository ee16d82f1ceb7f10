import type { Registry, Service } from '../../registry/registry.ts';
import type { Web, WebOptions } from '../../ui/web/web.ts';

/** The dashboard's auth with what must be closed with it. */
export type DashboardAuth = NonNullable<WebOptions['auth']> & { close(): Promise<void> };

/**
 * The dashboard's auth when MICRO_AUTH=on (else undefined): the Auth MICRO_AUTH_PROVIDER names (the
 * control plane's by default) for logging in and out, and a verifier polling its snapshot every
 * MICRO_AUTH_REFRESH ms, which it reads with the dashboard's own account (MICRO_AUTH_ID and
 * MICRO_AUTH_SECRET, or MICRO_AUTH_TOKEN). `micro run --auth` passes the control plane's instead.
 */
export async function dashboardAuthFromEnv(
  env: NodeJS.ProcessEnv,
): Promise<DashboardAuth | undefined> {
  const enforce = await import('../../platform/auth/enforce.ts');
  if (!enforce.authEnabled(env)) return undefined;
  const [
    { authFromEnv, createMicroAuth, authOptionsFromEnv },
    { tokenSource },
    { createVerifier },
  ] = await Promise.all([
    import('../../platform/auth/index.ts'),
    import('../../platform/auth/token-source.ts'),
    import('../../platform/auth/verifier.ts'),
  ]);
  // Logging in and out uses public endpoints; the snapshot needs the dashboard's own token.
  const auth = authFromEnv(env);
  const tokens = tokenSource({ auth }, enforce.credentialsFromEnv(env));
  const address = env.MICRO_AUTH_ADDRESS || env.MICRO_REGISTRY_ADDRESS;
  const source =
    auth.name === 'micro'
      ? createMicroAuth({ ...(address && { address }), token: () => tokens.token() })
      : auth;
  const options = authOptionsFromEnv(env);
  const refresh = Number(env.MICRO_AUTH_REFRESH || 2000);
  if (!Number.isInteger(refresh) || refresh < 10)
    throw new TypeError(
      `MICRO_AUTH_REFRESH must be a whole number of milliseconds, at least 10; not ${JSON.stringify(env.MICRO_AUTH_REFRESH?.slice(0, 20))}`,
    );
  const verifier = createVerifier({
    source,
    refresh,
    ...(options.issuer && { issuer: options.issuer }),
    ...(options.audience && { audience: options.audience }),
  });
  return {
    auth,
    verifier,
    async close() {
      verifier.close();
      await Promise.allSettled([auth.close(), source === auth ? undefined : source.close()]);
    },
  };
}

/** What the dashboard takes beside its address and registry. */
export interface DashboardOptions {
  /**
   * Auth on: the token endpoint and verifier the login and every /_/api route use (`micro run
   * --auth` passes the control plane's; `micro web` builds them when MICRO_AUTH=on).
   */
  auth?: WebOptions['auth'];
  /** The API gateway's URL (`http://127.0.0.1:8080`), when it runs beside: the MCP page names its /mcp. */
  gateway?: string;
}

/** Default address of the web dashboard and web proxy. */
export const WEB_ADDRESS = '127.0.0.1:8082';

/**
 * Starts the web dashboard over a registry, with a client of its own, the CLI's terminal, the
 * events, db and logs areas MICRO_EVENTS, MICRO_DB and MICRO_LOGS name, and the traces
 * MICRO_TRACE_STORE names (the control plane's by default), the control plane's metrics, and the
 * traffic rules in MICRO_CONFIG's config.
 */
export async function startDashboard(
  address: string,
  registry: Registry,
  options: DashboardOptions = {},
): Promise<Web> {
  const [
    { startWeb, userClient },
    { createClient },
    { createSelector },
    { createTerminal },
    { eventsFromEnv },
    { dbFromEnv },
    { traceFromEnv },
    { logsFromEnv },
    { metricsFromEnv },
    { routesFromEnv },
    { buildTools },
    { mcpOptionsFromEnv },
  ] = await Promise.all([
    import('../../ui/web/index.ts'),
    import('../../runtime/client/rpc-client.ts'),
    import('../../runtime/selector/cache.ts'),
    import('./terminal.ts'),
    import('../../platform/events/index.ts'),
    import('../../platform/db/index.ts'),
    import('../../platform/trace/index.ts'),
    import('../../platform/logs/index.ts'),
    import('../../platform/metrics/index.ts'),
    import('../../platform/routing/index.ts'),
    import('../../proxy/mcp/tools.ts'),
    import('../../proxy/mcp/options.ts'),
  ]);
  const selector = createSelector({ registry });
  // The client closes the selector it was given.
  const client = createClient({ registry, selector, name: 'micro.web' });
  // Terminal commands and the events and db areas call as the logged-in user when auth is on.
  const asUser = userClient(client, registry);
  const terminal = createTerminal({ registry, client: asUser });
  const events = eventsFromEnv(process.env, { client: asUser });
  const db = dbFromEnv(process.env, { client: asUser });
  const trace = traceFromEnv(process.env, { client: asUser });
  const logs = logsFromEnv(process.env, { client: asUser });
  const metrics = metricsFromEnv(process.env, { client: asUser });
  const routes = routesFromEnv(process.env, { client: asUser });
  // The MCP page lists the tools `micro mcp` and the gateway's /mcp show agents (MICRO_MCP_*).
  const mcpOptions = mcpOptionsFromEnv(process.env);
  const served = options.gateway !== undefined && process.env.MICRO_MCP !== 'off';
  const mcp = {
    tools: (services: readonly Service[]) => buildTools(services, mcpOptions).tools,
    ...(served && { url: `${options.gateway}/mcp` }),
  };
  const closeAreas = async (): Promise<void> => {
    await Promise.allSettled([
      events.close(),
      db.close(),
      trace.close(),
      logs.close(),
      metrics.close(),
      routes.close(),
    ]);
    await client.close();
  };
  const web = await startWeb({
    address,
    registry,
    client,
    selector,
    terminal,
    events,
    db,
    trace,
    logs,
    metrics,
    routes,
    mcp,
    ...(options.auth && { auth: options.auth }),
  }).catch(async (err: unknown) => {
    await closeAreas();
    throw err;
  });
  return {
    address: web.address,
    async close() {
      await web.close();
      await closeAreas();
    },
  };
}

/** The dashboard as a part of `micro run`: where it listens, or why it could not start. */
export interface DashboardPart {
  where: string;
  close(): Promise<void>;
}

/** Starts the dashboard inside `micro run`; a busy address is reported in `where`, not fatal. */
export async function dashboardPart(
  address: string,
  registry: Registry,
  options: DashboardOptions = {},
): Promise<DashboardPart> {
  try {
    const web = await startDashboard(address, registry, options);
    return { where: web.address, close: () => web.close() };
  } catch (err) {
    return { where: `not started: ${(err as Error).message}`, close: async () => {} };
  }
}

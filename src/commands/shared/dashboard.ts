import type { Registry } from '../../registry/registry.ts';
import type { Web } from '../../ui/web/web.ts';

/** Default address of the web dashboard and web proxy. */
export const WEB_ADDRESS = '127.0.0.1:8082';

/**
 * Starts the web dashboard over a registry, with a client of its own, the CLI's terminal, and the
 * events and db areas MICRO_EVENTS and MICRO_DB name (the control plane's by default).
 */
export async function startDashboard(address: string, registry: Registry): Promise<Web> {
  const [
    { startWeb },
    { createClient },
    { createSelector },
    { createTerminal },
    { eventsFromEnv },
    { dbFromEnv },
  ] = await Promise.all([
    import('../../ui/web/index.ts'),
    import('../../runtime/client/rpc-client.ts'),
    import('../../runtime/selector/cache.ts'),
    import('./terminal.ts'),
    import('../../platform/events/index.ts'),
    import('../../platform/db/index.ts'),
  ]);
  const selector = createSelector({ registry });
  // The client closes the selector it was given.
  const client = createClient({ registry, selector, name: 'micro.web' });
  const terminal = createTerminal({ registry, client });
  const events = eventsFromEnv(process.env, { client });
  const db = dbFromEnv(process.env, { client });
  const closeAreas = async (): Promise<void> => {
    await Promise.allSettled([events.close(), db.close()]);
    await client.close();
  };
  const web = await startWeb({ address, registry, client, selector, terminal, events, db }).catch(
    async (err: unknown) => {
      await closeAreas();
      throw err;
    },
  );
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
export async function dashboardPart(address: string, registry: Registry): Promise<DashboardPart> {
  try {
    const web = await startDashboard(address, registry);
    return { where: web.address, close: () => web.close() };
  } catch (err) {
    return { where: `not started: ${(err as Error).message}`, close: async () => {} };
  }
}

import { defineCommand } from './shared/command.ts';
import { asMicroError, openRegistry } from './shared/connect.ts';

/** `micro explore [SERVICE]` (alias `micro ui`): the interactive terminal explorer. */
export const exploreCommand = defineCommand({
  command: 'explore [service]',
  aliases: ['ui'],
  describe: 'Browse and call services in a terminal UI',
  builder: (y) =>
    y
      .positional('service', { type: 'string', describe: 'open this service first' })
      .example('micro explore', '')
      .example('micro ui greeter', ''),
  handler: async (args) => {
    // Drawing into a pipe or reading keys from one makes no sense: say so instead.
    if (!process.stdout.isTTY || !process.stdin.isTTY) {
      const { badRequest } = await import('../runtime/errors.ts');
      throw badRequest(
        'micro.cli',
        `micro explore needs a terminal (${process.stdout.isTTY ? 'stdin' : 'stdout'} is not one); in scripts use "micro list services", "micro get service NAME" or "micro call"`,
      );
    }
    // Yoga's WebAssembly compiles while the registry and client are set up.
    const loading = import('../ui/tui/index.ts').then((ui) => ui.loadExplorer());
    loading.catch(() => undefined);
    // The CLI's login (or MICRO_AUTH_TOKEN): the registry and every call send it.
    // Renewed as it nears expiry: the explorer may stay open longer than a token lasts.
    const tokens = await import('./shared/auth-token.ts');
    const current = tokens.tokenGetter(args);
    const registry = await openRegistry(args, { token: current });
    // The services are watched and read now too, rather than once the first screen is up.
    const { createLiveRegistry } = await import('../ui/tui/live-registry.ts');
    const live = createLiveRegistry(registry);
    live.start();
    try {
      const [
        { createClient },
        { eventsFromEnv },
        { dbFromEnv },
        { traceFromEnv },
        { routesFromEnv },
        { explorerMcp },
        { mcpOptionsFromEnv },
      ] = await Promise.all([
        import('../runtime/client/rpc-client.ts'),
        import('../platform/events/index.ts'),
        import('../platform/db/index.ts'),
        import('../platform/trace/index.ts'),
        import('../platform/routing/index.ts'),
        import('../ui/tui/mcp-source.ts'),
        import('../proxy/mcp/options.ts'),
      ]);
      const client = createClient({ registry, ...tokens.bearerOptions(current) });
      // The events and db screens read what MICRO_EVENTS and MICRO_DB name (the control plane's).
      const events = eventsFromEnv(process.env, { client });
      const db = dbFromEnv(process.env, { client });
      // The call screen shows the last call's trace from the control plane's trace service.
      const trace = traceFromEnv(process.env, { client });
      // The routes screen lists the traffic rules in MICRO_CONFIG's config (the control plane's).
      const routes = routesFromEnv(process.env, { client });
      // The MCP screen lists the tools `micro mcp` shows agents, with its MICRO_MCP_* options.
      const mcp = explorerMcp(registry, mcpOptionsFromEnv(process.env));
      try {
        const explore = await loading;
        const areas = { events, db, trace, routes, mcp };
        await explore({ registry, client, service: args.service, live, ...areas });
      } finally {
        mcp.close();
        await Promise.allSettled([events.close(), db.close(), trace.close(), routes.close()]);
        await client.close();
      }
    } catch (err) {
      throw await asMicroError(err);
    } finally {
      live.stop();
      await registry.close();
    }
  },
});

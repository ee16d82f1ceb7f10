import { defineCommand } from './shared/command.ts';
import { WEB_ADDRESS } from './shared/dashboard.ts';

/** `micro web`: the web dashboard and the web proxy, in the foreground. */
export const webCommand = defineCommand({
  command: 'web',
  describe: 'Serve the web dashboard, and proxy /[name]/ to web apps',
  builder: (y) =>
    y
      .option('web-address', {
        type: 'string',
        default: WEB_ADDRESS,
        describe: 'where to listen [MICRO_WEB_ADDRESS]',
      })
      .example('micro web', `open http://${WEB_ADDRESS}/ in a browser`)
      .example(
        'MICRO_AUTH=on micro web',
        'a login page first; every page and call as the logged-in account (micro run --auth does it)',
      ),
  handler: async (args) => {
    const [{ openRegistry }, { startDashboard, dashboardAuthFromEnv }, { untilSignal }] =
      await Promise.all([
        import('./shared/connect.ts'),
        import('./shared/dashboard.ts'),
        import('./shared/signals.ts'),
      ]);
    const registry = await openRegistry(args);
    const auth = await dashboardAuthFromEnv(process.env);
    try {
      const web = await startDashboard(args.webAddress, registry, auth ? { auth } : {});
      const signalled = untilSignal();
      process.stdout.write(
        `web dashboard on http://${web.address}/ (registry: ${registry.name} at ${registry.address}${auth ? '; auth on: log in at /_/login' : ''})\n`,
      );
      await signalled;
      await web.close();
    } finally {
      await auth?.close();
      await registry.close();
    }
  },
});

import type { CommandModule } from 'yargs';
import type { RunArgs as Args } from './run/args.ts';
import { apiFlags, gatewayOptions, type ApiArgs } from './shared/api-options.ts';
import { WEB_ADDRESS } from './shared/dashboard.ts';
import { authOn, authOption } from './shared/auth-token.ts';
import { CONTROL_PLANE, type GlobalArgs } from './shared/options.ts';
import { handled } from './shared/output.ts';

/** `micro run [DIR|FILE]`: the control plane, or a service under it. */
export const runCommand: CommandModule<GlobalArgs, Args> = {
  command: 'run [target]',
  describe: 'Run micro, or a service under it',
  builder: (y) =>
    y
      .positional('target', {
        type: 'string',
        describe: 'a service directory or file; none runs micro itself',
      })
      .option('detach', {
        alias: 'd',
        type: 'boolean',
        default: false,
        describe: 'hand the service to micro, which restarts it if it crashes [MICRO_DETACH]',
      })
      .option('name', {
        type: 'string',
        describe: 'the name to supervise it under (default: the directory name) [MICRO_NAME]',
      })
      .option('wait', {
        type: 'number',
        default: 10,
        describe:
          'seconds run -d waits for the service to register before saying it runs; 0 does not wait [MICRO_WAIT]',
      })
      .option('watch', {
        type: 'boolean',
        default: true,
        describe:
          "restart a service (in the foreground or with -d) when its files change, the new process serving before the old one stops (--no-watch: don't) [MICRO_WATCH]",
      })
      .option('env', {
        type: 'string',
        describe: "the environment block of the app's micro.json to run with [MICRO_ENV]",
      })
      .option('mdns', {
        type: 'boolean',
        default: false,
        describe: 'announce the registry on the LAN over mDNS [MICRO_MDNS]',
      })
      .option('auth', authOption)
      .option('control-address', {
        type: 'string',
        describe: `where micro run serves the control plane (the registry and runtime services): --registry-address with the micro registry, else ${CONTROL_PLANE} [MICRO_CONTROL_ADDRESS]`,
      })
      .option('web-address', {
        type: 'string',
        default: WEB_ADDRESS,
        describe: 'where micro run serves the web dashboard [MICRO_WEB_ADDRESS]',
      })
      .option('api', {
        type: 'boolean',
        default: true,
        describe: 'serve the API gateway at --api-address too [MICRO_API]',
      })
      .option('tls', {
        type: 'boolean',
        default: false,
        describe:
          'TLS between services and on the API gateway, with certificates from a CA in the data dir (micro tls ca prints it) [MICRO_TLS]',
      })
      .option('mtls', {
        type: 'boolean',
        default: false,
        describe:
          'mutual TLS: services also require a certificate from that CA of their callers (implies --tls) [MICRO_MTLS]',
      })
      .options(apiFlags)
      .example('micro run', 'start the registry and runtime on 127.0.0.1:8000')
      .example('micro run --tls', 'services speak TLS to each other, the gateway HTTPS')
      .example(
        'micro run --auth',
        'the same, every call needing a token (prints the admin secret once)',
      )
      .example('micro run ./greeter', 'run a service in the foreground')
      .example('micro run -d ./greeter', 'run it in the background, supervised')
      .example(
        'micro run ./shop',
        'run the services micro.json in ./shop lists, in dependency order',
      )
      .example(
        'micro run --registry etcd --broker nats',
        'keep services in etcd and messages in NATS (at 127.0.0.1:2379 and 127.0.0.1:4222)',
      ),
  handler: handled(async (argv: Args) => {
    const { serveControlPlane } = await import('./shared/control-plane.ts');
    const controlPlane = {
      address: controlAddress(argv),
      dataDir: argv.dataDir,
      mdns: argv.mdns,
      supervise: true,
      plugins: argv,
      ...(tlsOn(argv.tls, 'MICRO_TLS') || tlsOn(argv.mtls, 'MICRO_MTLS')
        ? { tls: { mutual: tlsOn(argv.mtls, 'MICRO_MTLS') } }
        : {}),
      auth: authOn(argv),
    };
    // yargs also gives the api-* flags camel-cased, as ApiArgs reads them.
    const api = argv.api ? gatewayOptions(argv as unknown as ApiArgs) : undefined;
    const { findApp } = await import('../runner/app.ts');
    const app = argv.detach ? undefined : findApp(argv.target ?? '.');
    if (app) return (await import('./run/app.ts')).runAppCommand(argv, app, controlPlane);
    if (argv.env !== undefined) {
      const { badRequest } = await import('../runtime/errors.ts');
      throw badRequest(
        'micro.cli',
        `--env ${argv.env} selects an environment of an app, and ${argv.target ?? '.'} has no micro.json (nor a "micro" key in package.json)`,
      );
    }
    if (!argv.target) return serveControlPlane({ ...controlPlane, web: argv['web-address'], api });
    const { findEntry } = await import('./shared/entry.ts');
    const entry = findEntry(argv.target);
    const name = argv.name ?? entry.name;
    if (argv.detach) return (await import('./run/detached.ts')).runDetached(argv, name, entry.file);
    await (await import('./run/foreground.ts')).runForeground(argv, entry, controlPlane);
  }),
};

/**
 * Where the control plane listens. With the micro registry it is the registry, so it listens at
 * --registry-address; other registries have their own address, so it takes --control-address.
 */
function controlAddress(argv: Args): string {
  return (
    argv['control-address'] ?? (argv.registry === 'micro' ? argv.registryAddress : CONTROL_PLANE)
  );
}

/** A boolean flag, also on when its variable says `on` (MICRO_TLS=on), which yargs reads as no boolean. */
const tlsOn = (flag: unknown, variable: string): boolean =>
  flag === true || ['on', 'true', '1'].includes(process.env[variable] ?? '');

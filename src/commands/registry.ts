import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './shared/options.ts';
import { handled } from './shared/output.ts';
import { authOn, authOption } from './shared/auth-token.ts';

interface Args extends GlobalArgs {
  mdns: boolean;
  auth: boolean;
}

/** `micro registry`: the control plane's registry alone, in the foreground. */
export const registryCommand: CommandModule<GlobalArgs, Args> = {
  command: 'registry',
  describe: 'Run the registry alone, at --registry-address',
  builder: (y) =>
    y
      .option('mdns', {
        type: 'boolean',
        default: false,
        describe: 'announce the control plane on the LAN over mDNS [MICRO_MDNS]',
      })
      .option('auth', authOption),
  handler: handled(async (argv: Args) => {
    const { serveControlPlane } = await import('./shared/control-plane.ts');
    await serveControlPlane({
      address: argv.registryAddress,
      dataDir: argv.dataDir,
      mdns: argv.mdns,
      supervise: false,
      auth: authOn(argv),
    });
  }),
};

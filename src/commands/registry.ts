import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './shared/options.ts';
import { handled } from './shared/output.ts';

interface Args extends GlobalArgs {
  address: string;
  mdns: boolean;
}

/** `micro registry`: the control plane's registry alone, in the foreground. */
export const registryCommand: CommandModule<GlobalArgs, Args> = {
  command: 'registry',
  describe: 'Run the registry (the control plane) in the foreground',
  builder: (y) =>
    y
      .option('address', {
        type: 'string',
        default: '127.0.0.1:8000',
        describe: 'where to listen [MICRO_ADDRESS]',
      })
      .option('mdns', {
        type: 'boolean',
        default: false,
        describe: 'announce the control plane on the LAN over mDNS [MICRO_MDNS]',
      }) as never,
  handler: handled(async (argv: Args) => {
    const { serveControlPlane } = await import('./shared/control-plane.ts');
    await serveControlPlane({
      address: argv.address,
      dataDir: argv.dataDir,
      mdns: argv.mdns,
      supervise: false,
    });
  }),
};

import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './shared/options.ts';

interface Args extends GlobalArgs {
  file: string;
}

/**
 * `micro __exec FILE`: runs a service file with the framework provided (hidden; used by run and the
 * supervisor). bin/micro.ts runs the plain form without the CLI; this serves any other form.
 */
export const execCommand: CommandModule<GlobalArgs, Args> = {
  command: '__exec <file>',
  describe: false,
  builder: (y) => y.positional('file', { type: 'string', demandOption: true }),
  handler: async (argv: Args) => {
    const { execService } = await import('../runner/exec.ts');
    await execService(argv.file);
  },
};

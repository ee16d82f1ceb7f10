import { pathToFileURL } from 'node:url';
import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './shared/options.ts';

interface Args extends GlobalArgs {
  file: string;
}

/** `micro __exec FILE`: runs a service file with the framework provided (hidden; used by run and the supervisor). */
export const execCommand: CommandModule<GlobalArgs, Args> = {
  command: '__exec <file>',
  describe: false,
  builder: (y) => y.positional('file', { type: 'string', demandOption: true }),
  handler: async (argv: Args) => {
    const [{ provideFramework }, runtime] = await Promise.all([
      import('../runner/framework-hook.ts'),
      import('../runtime/index.ts'),
    ]);
    provideFramework(runtime);
    // Started by micro run or the supervisor: stop cleanly if that parent goes away, even by SIGKILL.
    if (process.send) {
      process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
      process.channel?.unref(); // the channel alone must not keep the service running
    }
    await import(pathToFileURL(argv.file).href);
  },
};

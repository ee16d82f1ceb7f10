import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './shared/options.ts';
import { printable } from '../registry/printable.ts';
import { handled } from './shared/output.ts';

interface Args extends GlobalArgs {
  name: string;
}

/** `micro kill NAME`: stops a supervised service and forgets it. */
export const killCommand: CommandModule<GlobalArgs, Args> = {
  command: 'kill <name>',
  describe: 'Stop a background service and forget it',
  builder: (y) =>
    y
      .positional('name', { type: 'string', demandOption: true })
      .epilogue(
        'A killed service is forgotten: micro run no longer starts it again when it restarts.',
      )
      .example('micro kill users', 'stop users, started with micro run -d ./users'),
  handler: handled(async (argv: Args) => {
    const { runtimeCall } = await import('./shared/runtime.ts');
    await runtimeCall(argv, 'Runtime.Delete', { name: argv.name });
    process.stdout.write(`${printable(argv.name, false)} stopped\n`);
  }),
};

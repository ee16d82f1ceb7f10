import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './shared/options.ts';
import { printable } from '../registry/printable.ts';
import { handled } from './shared/output.ts';

interface Args extends GlobalArgs {
  name: string;
  follow: boolean;
}

/** `micro logs NAME [-f]`: a supervised service's output. */
export const logsCommand: CommandModule<GlobalArgs, Args> = {
  command: 'logs <name>',
  describe: 'Print the output of a background service',
  builder: (y) =>
    y.positional('name', { type: 'string', demandOption: true }).option('follow', {
      alias: 'f',
      type: 'boolean',
      default: false,
      describe: 'keep printing new lines [MICRO_FOLLOW]',
    }),
  handler: handled(async (argv: Args) => {
    const { withRuntime } = await import('./shared/runtime.ts');
    await withRuntime(argv, async (client) => {
      const stream = await client.stream<unknown, { line: string }>('runtime', 'Runtime.Logs');
      // Ctrl-C closes the connection, which ends the stream and the command.
      const stop = (): void => void client.close();
      process.once('SIGINT', stop);
      try {
        stream.send({ name: argv.name, follow: argv.follow });
        stream.end();
        // A log line may carry names and text from other processes: shown, not obeyed.
        for await (const m of stream) process.stdout.write(`${printable(String(m.line))}\n`);
      } finally {
        process.off('SIGINT', stop);
      }
    });
  }),
};

import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './shared/options.ts';
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
    const [{ createMicroRegistry }, { createClient }] = await Promise.all([
      import('../registry/micro.ts'),
      import('../runtime/client/rpc-client.ts'),
    ]);
    const registry = createMicroRegistry({ address: argv.registryAddress, timeout: 2000 });
    const client = createClient({ registry });
    const stop = (): void => void client.close().then(() => registry.close());
    process.once('SIGINT', stop);
    try {
      const stream = await client.stream<unknown, { line: string }>('runtime', 'Runtime.Logs');
      stream.send({ name: argv.name, follow: argv.follow });
      stream.end();
      for await (const m of stream) process.stdout.write(`${m.line}\n`);
    } finally {
      process.off('SIGINT', stop);
      await client.close();
      await registry.close();
    }
  }),
};

import { writeFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { notFound } from '../runtime/errors.ts';
import { clientSource } from './gen/client.ts';
import { defineCommand } from './shared/command.ts';
import { withRegistry } from './shared/connect.ts';
import type { GlobalArgs } from './shared/options.ts';

const client = defineCommand({
  command: 'client <name>',
  describe: 'Write a typed TypeScript client of a service, from the schemas in the registry',
  builder: (y) =>
    y
      .positional('name', { type: 'string', demandOption: true, describe: 'the service name' })
      .option('out', {
        type: 'string',
        describe: 'the file to write (default: print it)',
      })
      .option('from', {
        type: 'string',
        default: 'micro-ts',
        describe: 'the module the client imports the framework from',
      }),
  handler: async (args) => {
    const versions = await withRegistry(args, (registry) => registry.getService(args.name));
    if (versions.length === 0)
      throw notFound(
        'micro',
        `no service named ${args.name} is registered; see micro list services`,
      );
    const source = clientSource(args.name, versions, { from: args.from });
    if (!args.out) {
      process.stdout.write(source);
      return;
    }
    writeFileSync(args.out, source);
    process.stdout.write(`wrote ${args.out}: a typed client of ${args.name}\n`);
  },
});

/** `micro gen client NAME [--out FILE]`. */
export const genCommand = defineCommand({
  command: 'gen',
  describe: 'Generate code from the registry (gen client NAME)',
  builder: (y: Argv<GlobalArgs>) =>
    y.command(client).demandCommand(1, 'generate what? micro gen client NAME'),
  handler: async () => {},
});

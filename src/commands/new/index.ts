import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { badRequest, conflict } from '../../runtime/errors.ts';
import type { GlobalArgs } from '../shared/options.ts';
import { handled } from '../shared/output.ts';
import { TEMPLATES } from './templates.ts';

interface Args extends GlobalArgs {
  name: string;
  dir?: string;
  template: keyof typeof TEMPLATES;
}

/** `micro new NAME`: scaffolds a service. */
export const newCommand: CommandModule<GlobalArgs, Args> = {
  command: 'new <name>',
  describe: 'Create a service: handler, test, README (-t pubsub)',
  builder: (y) =>
    y
      .positional('name', {
        type: 'string',
        demandOption: true,
        describe: 'the service name, e.g. greeter',
      })
      .option('dir', {
        type: 'string',
        describe: 'where to create it (default ./NAME) [MICRO_DIR]',
      })
      .option('template', {
        alias: 't',
        choices: Object.keys(TEMPLATES) as (keyof typeof TEMPLATES)[],
        default: 'service' as const,
        describe: 'service: Say.Hello and a subscriber; pubsub: a publisher and a subscriber',
      }),
  handler: handled(async (argv: Args) => {
    if (!/^[a-z][a-z0-9-]*$/.test(argv.name)) {
      throw badRequest(
        'micro.cli',
        `"${argv.name}" is not a service name: use lower-case letters, digits and -, starting with a letter`,
      );
    }
    const dir = resolve(argv.dir ?? argv.name);
    if (existsSync(dir) && readdirSync(dir).length > 0)
      throw conflict('micro.cli', `${dir} exists and is not empty`);
    mkdirSync(dir, { recursive: true });
    const files = TEMPLATES[argv.template](argv.name);
    for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
    const rel = argv.dir ?? argv.name;
    process.stdout.write(
      [
        `created ${rel}/ with ${Object.keys(files).join(', ')}`,
        '',
        'next:',
        `  micro run ./${rel}`,
        argv.template === 'pubsub'
          ? `  micro call ${argv.name} Events.Publish '{"id":"1","text":"hi"}'`
          : `  micro call ${argv.name} Say.Hello '{"name":"Ann"}'`,
        '',
      ].join('\n'),
    );
  }),
};

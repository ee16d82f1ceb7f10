import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { badRequest, conflict } from '../../runtime/errors.ts';
import type { GlobalArgs } from '../shared/options.ts';
import { handled } from '../shared/output.ts';
import { TEMPLATES } from './templates/index.ts';

interface Args extends GlobalArgs {
  name: string;
  /** With `micro new app NAME`: the app's name (`name` is then "app"). */
  appName?: string;
  dir?: string;
  template: keyof typeof TEMPLATES;
}

/** The call that shows each template's service answering. */
const NEXT: Record<keyof typeof TEMPLATES, (name: string) => string> = {
  service: (name) => `  micro call ${name} Say.Hello '{"name":"Ann"}'`,
  pubsub: (name) => `  micro call ${name} Events.Publish '{"id":"1","text":"hi"}'`,
  web: (name) => `  open http://127.0.0.1:8082/${name}/ (with micro run going)`,
  app: (name) => `  micro call ${name}-greeter Say.Hello '{"id":"1"}'`,
};

/** `micro new NAME`: scaffolds a service; `micro new app NAME` an app. */
export const newCommand: CommandModule<GlobalArgs, Args> = {
  command: 'new <name> [app-name]',
  describe: 'Create a service (-t pubsub|web), or an app (app NAME)',
  builder: (y) =>
    y
      .positional('name', {
        type: 'string',
        demandOption: true,
        describe: 'the service name, e.g. greeter; or `app` followed by the app name',
      })
      .positional('app-name', {
        type: 'string',
        describe: 'with `micro new app NAME`: the name of the app (micro.json and two services)',
      })
      .option('dir', {
        type: 'string',
        describe: 'where to create it (default ./NAME) [MICRO_DIR]',
      })
      .option('template', {
        alias: 't',
        choices: Object.keys(TEMPLATES) as (keyof typeof TEMPLATES)[],
        default: 'service' as const,
        describe:
          'service: Say.Hello and a subscriber; pubsub: a publisher and a subscriber; web: pages served through the dashboard; app: micro.json with two services',
      }),
  handler: handled(async (argv: Args) => {
    if (argv.appName !== undefined) {
      if (argv.name !== 'app')
        throw badRequest(
          'micro.cli',
          `micro new takes one service name, not "${argv.name} ${argv.appName}"; for an app: micro new app NAME`,
        );
      argv.name = argv.appName;
      argv.template = 'app';
    }
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
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), content);
    }
    const rel = argv.dir ?? argv.name;
    process.stdout.write(
      [
        `created ${rel}/ with ${Object.keys(files).join(', ')}`,
        '',
        'next:',
        `  micro run ./${rel}`,
        NEXT[argv.template](argv.name),
        '',
      ].join('\n'),
    );
  }),
};

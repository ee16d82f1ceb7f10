#!/usr/bin/env node
// Parses argv and dispatches to the command modules; nothing else lives here.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from '../src/commands/index.ts';
import { ignoreForeignEnvironment, withGlobalOptions } from '../src/commands/shared/options.ts';
import { fail } from '../src/commands/shared/output.ts';
import { VERSION } from '../src/commands/shared/version.ts';

const cli = withGlobalOptions(yargs(hideBin(process.argv)));

// No top-level await: the single executable's bundle is CommonJS.
void cli
  .scriptName('micro')
  .usage('micro: run, call and explore microservices\n\nUsage: micro <command> [options]')
  .command(commands)
  .demandCommand(1, 'name a command; micro --help lists them')
  .env('MICRO')
  .middleware((argv) => ignoreForeignEnvironment(argv, cli), true)
  .version(VERSION)
  .strict()
  .strictCommands()
  .help()
  .wrap(Math.min(100, process.stdout.columns || 100))
  .fail((msg, err) => {
    if (err) throw err;
    process.stderr.write(`${msg}\nRun "micro --help" for usage.\n`);
    process.exit(1);
  })
  .parseAsync()
  .catch(fail);

#!/usr/bin/env node
// Parses argv and dispatches to the command modules; nothing else lives here.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from '../src/commands/index.ts';
import { withGlobalOptions } from '../src/commands/shared/options.ts';
import { VERSION } from '../src/commands/shared/version.ts';

await withGlobalOptions(yargs(hideBin(process.argv)))
  .scriptName('micro')
  .usage('micro: run, call and explore microservices\n\nUsage: micro <command> [options]')
  .command(commands)
  .demandCommand(1, 'name a command; micro --help lists them')
  .env('MICRO')
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
  .parseAsync();

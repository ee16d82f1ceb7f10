#!/usr/bin/env node
// Parses argv and dispatches to the command modules; nothing else lives here.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from '../src/commands/index.ts';
import pkg from '../package.json' with { type: 'json' };

await yargs(hideBin(process.argv))
  .scriptName('micro')
  .usage('micro: run, call and explore microservices\n\nUsage: micro <command> [options]')
  .command(commands)
  .env('MICRO')
  .version(pkg.version)
  .strict()
  .help()
  .parseAsync();

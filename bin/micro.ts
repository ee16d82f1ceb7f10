#!/usr/bin/env node
// Parses argv and dispatches to the command modules; nothing else lives here.
// No top-level await: the single executable's bundle is CommonJS. Everything is loaded with
// import(), so that `micro __exec FILE` (each service micro runs) reaches the runner without
// evaluating the CLI (yargs, the commands), and the CLI without the runner.
const args = process.argv.slice(2);

if (args.length === 2 && args[0] === '__exec' && !args[1]!.startsWith('-')) {
  // The plain form micro run and the supervisor use; any other goes through yargs (src/commands/exec.ts).
  void import('../src/runner/exec.ts')
    .then(({ execService }) => execService(args[1]!))
    .catch(async (err: unknown) => (await import('../src/commands/shared/output.ts')).fail(err));
} else if (args.length === 1 && args[0] === '--version' && process.env.MICRO_HELP === undefined) {
  // What yargs prints for this, without loading yargs (MICRO_HELP would make it print the help).
  void import('../src/commands/shared/version.ts').then(({ VERSION }) => console.log(VERSION));
} else {
  void cli();
}

async function cli(): Promise<void> {
  const [
    { default: yargs },
    { hideBin },
    { commandsFor },
    options,
    { fail, failUsage },
    { VERSION },
  ] = await Promise.all([
    import('yargs'),
    import('yargs/helpers'),
    import('../src/commands/by-name.ts'),
    import('../src/commands/shared/options.ts'),
    import('../src/commands/shared/output.ts'),
    import('../src/commands/shared/version.ts'),
  ]);
  const y = options.withGlobalOptions(yargs(hideBin(process.argv)));
  options.skipHelpCache(y);
  await y
    .scriptName('micro')
    .usage('micro: run, call and explore microservices\n\nUsage: micro <command> [options]')
    .command(await commandsFor(args))
    .demandCommand(1, 'name a command; micro --help lists them')
    .env('MICRO')
    .middleware((argv) => options.ignoreForeignEnvironment(argv, y), true)
    .middleware(options.exportPlugins)
    .version(VERSION)
    .strict()
    .strictCommands()
    .recommendCommands()
    .help()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      // yargs says only "Did you mean call?" for a mistyped command: say which word it was.
      failUsage(
        msg.startsWith('Did you mean') ? `Unknown command "${args[0] ?? ''}". ${msg}` : msg,
      );
    })
    .parseAsync()
    .catch(fail);
}

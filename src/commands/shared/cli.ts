// The micro command line: yargs with the commands asked for, the global options and usage errors.
import type { Arguments } from 'yargs';

/** What a caller may change about a parse: tests stop before handlers and keep the process alive. */
export interface CliHooks {
  /** Runs after validation, before the command's handler; throwing stops the handler. */
  beforeHandler?: (argv: Arguments) => void;
  /** Takes a usage error's message; prints it and exits 1 by default (failUsage). */
  usageError?: (message: string) => void;
  /** False: --help and --version print without ending the process. */
  exitProcess?: boolean;
}

/**
 * Parses args (process.argv without node and the script) and runs the command they name. Resolves
 * when the command is done; a usage error goes to hooks.usageError, anything a handler throws
 * rejects (bin/micro.ts prints it as error JSON).
 */
export async function runCli(args: string[], hooks: CliHooks = {}): Promise<void> {
  // The completion script's call on every TAB (src/commands/completion.ts), unless after `--`.
  const completing = args.indexOf('--get-yargs-completions');
  if (completing >= 0 && !args.slice(0, completing).includes('--')) {
    const { printCompletions } = await import('../completion.ts');
    return printCompletions(args.slice(completing + 1), hooks.exitProcess ?? true);
  }
  const [{ default: yargs }, { commandsFor, commandLoaders }, options, { failUsage }, { VERSION }] =
    await Promise.all([
      import('yargs'),
      import('../by-name.ts'),
      import('./options.ts'),
      import('./output.ts'),
      import('./version.ts'),
    ]);
  const usageError = hooks.usageError ?? failUsage;
  const [{ checkNumbers }, { trustDataDirCa }] = await Promise.all([
    import('./numbers.ts'),
    import('./tls-trust.ts'),
  ]);
  const y = options.withGlobalOptions(yargs(args));
  options.skipHelpCache(y);
  if (hooks.beforeHandler) y.middleware(hooks.beforeHandler);
  await y
    .scriptName('micro')
    .usage('micro: run, call and explore microservices\n\nUsage: micro <command> [options]')
    .command(await commandsFor(args))
    .demandCommand(1, 'name a command; micro --help lists them')
    .env('MICRO')
    .middleware((argv) => options.ignoreForeignEnvironment(argv, y), true)
    .middleware((argv) => checkNumbers(argv, args), true)
    .middleware(options.exportPlugins)
    .middleware(trustDataDirCa)
    .version(VERSION)
    .strict()
    .strictCommands()
    .recommendCommands()
    .help()
    .exitProcess(hooks.exitProcess ?? true)
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      // yargs says only "Did you mean call?" for a mistyped command: say which word it was (the
      // first, or the subcommand after a known command: micro store gett).
      const words = args.filter((a) => !a.startsWith('-'));
      const typo =
        words[0] !== undefined && Object.hasOwn(commandLoaders, words[0]) ? words[1] : words[0];
      usageError(msg.startsWith('Did you mean') ? `Unknown command "${typo ?? ''}". ${msg}` : msg);
    })
    .parseAsync();
}

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
  // `micro list services | head`: the reader went away; stop quietly, as other tools do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const [{ runCli }, { fail }] = await Promise.all([
    import('../src/commands/shared/cli.ts'),
    import('../src/commands/shared/output.ts'),
  ]);
  await runCli(args).catch(fail);
}

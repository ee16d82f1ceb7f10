import type { CommandModule } from 'yargs';

/** Loads one command module. */
export type CommandLoader = () => Promise<CommandModule>;

/**
 * Each `micro` subcommand by the word that runs it (its name and its aliases), loaded on demand:
 * a command loads its own module, not all of them (src/commands/index.ts lists them all, for --help).
 */
export const commandLoaders = {
  run: async () => (await import('./run.ts')).runCommand as CommandModule,
  new: async () => (await import('./new/index.ts')).newCommand as CommandModule,
  test: async () => (await import('./test.ts')).testCommand as CommandModule,
  registry: async () => (await import('./registry.ts')).registryCommand as CommandModule,
  api: async () => (await import('./api.ts')).apiCommand,
  sidecar: async () => (await import('./sidecar.ts')).sidecarCommand,
  web: async () => (await import('./web.ts')).webCommand,
  tls: async () => (await import('./tls.ts')).tlsCommand,
  ps: async () => (await import('./ps.ts')).psCommand as CommandModule,
  kill: async () => (await import('./kill.ts')).killCommand as CommandModule,
  logs: async () => (await import('./logs.ts')).logsCommand,
  __exec: async () => (await import('./exec.ts')).execCommand as CommandModule,
  list: async () => (await import('./list.ts')).listCommand,
  get: async () => (await import('./get.ts')).getCommand,
  gen: async () => (await import('./gen.ts')).genCommand,
  call: async () => (await import('./call.ts')).callCommand,
  stream: async () => (await import('./stream.ts')).streamCommand,
  publish: async () => (await import('./publish.ts')).publishCommand,
  sync: async () => (await import('./sync.ts')).syncCommand,
  health: async () => (await import('./health.ts')).healthCommand,
  stats: async () => (await import('./stats.ts')).statsCommand,
  trace: async () => (await import('./trace/index.ts')).traceCommand,
  store: async () => (await import('./store.ts')).storeCommand,
  events: async () => (await import('./events.ts')).eventsCommand,
  mcp: async () => (await import('./mcp.ts')).mcpCommand,
  bot: async () => (await import('./bot.ts')).botCommand,
  register: async () => (await import('./register.ts')).registerCommand,
  deregister: async () => (await import('./deregister.ts')).deregisterCommand,
  doctor: async () => (await import('./doctor.ts')).doctorCommand,
  explore: async () => (await import('./explore.ts')).exploreCommand,
  ui: async () => (await import('./explore.ts')).exploreCommand,
  config: async () => (await import('./config.ts')).configCommand,
  route: async () => (await import('./route.ts')).routeCommand,
  db: async () => (await import('./db.ts')).dbCommand,
  login: async () => (await import('./login.ts')).loginCommand,
  logout: async () => (await import('./login.ts')).logoutCommand,
  whoami: async () => (await import('./login.ts')).whoamiCommand,
  auth: async () => (await import('./auth/index.ts')).authCommand,
  completion: async () => (await import('./completion.ts')).completionCommand,
} satisfies Record<string, CommandLoader>;

/** A word that runs a command. */
export type CommandName = keyof typeof commandLoaders;

/**
 * The command modules to give yargs for args: those of the command words in args, else (--help, an
 * unknown command, none, shell completion) all of them. yargs runs the first positional argument,
 * which is one of the words in args; loading every command named anywhere in args
 * (`micro --data-dir call list services` runs list) leaves that choice to yargs.
 */
export async function commandsFor(args: readonly string[]): Promise<CommandModule[]> {
  const named = new Set<CommandLoader>();
  if (!args.includes('--get-yargs-completions'))
    for (const arg of args)
      if (Object.hasOwn(commandLoaders, arg)) named.add(commandLoaders[arg as CommandName]);
  if (named.size > 0) return [...new Set(await Promise.all([...named].map((load) => load())))];
  const { commands } = await import('./index.ts');
  // A command missing here would be unknown to yargs whenever another command's word is in args.
  for (const c of commands)
    for (const word of [c.command ?? [], c.aliases ?? []].flat().map((w) => w.split(' ')[0]!))
      if (!Object.hasOwn(commandLoaders, word))
        throw new Error(`src/commands/by-name.ts has no loader for the command "${word}"`);
  return commands;
}

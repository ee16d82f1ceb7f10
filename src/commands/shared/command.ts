import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from './options.ts';
import { handled } from './output.ts';

/** Parsed arguments of a command: its own and the global ones. */
export type Args<A> = ArgumentsCamelCase<GlobalArgs & A>;

/** A yargs command module whose handler sees its arguments typed from its builder. */
export interface CommandDefinition<A> {
  command: string | readonly string[];
  aliases?: string | readonly string[];
  describe: string | false;
  builder: (y: Argv<GlobalArgs>) => Argv<GlobalArgs & A>;
  handler: (args: Args<A>) => Promise<void>;
}

/** Makes a command module; errors its handler throws print as error JSON with exit code 1. */
export function defineCommand<A>(module: CommandDefinition<A>): CommandModule {
  // The commands list is heterogeneous; each module's own types were checked above.
  return { ...module, handler: handled(module.handler) } as unknown as CommandModule;
}

/** What a command that only groups subcommands (`micro list services`) is made of. */
export interface GroupDefinition {
  command: string;
  describe: string;
  subcommands: CommandModule[];
  /** What to print when no subcommand is given, e.g. `get what? micro get service NAME`. */
  missing: string;
}

/** Makes a command that runs one of its subcommands, and prints `missing` without one. */
export function defineGroup(group: GroupDefinition): CommandModule {
  return defineCommand({
    command: group.command,
    describe: group.describe,
    builder: (y: Argv<GlobalArgs>) =>
      group.subcommands.reduce((a, c) => a.command(c), y).demandCommand(1, group.missing),
    handler: async () => {},
  });
}

import type { CommandModule } from 'yargs';

/** Every `micro` subcommand, listed statically: a bundled single binary cannot scan its folders. */
export const commands: CommandModule[] = [];

import { defineCommand } from './shared/command.ts';

/** `micro completion`: prints the bash (or zsh) completion script yargs generates. */
export const completionCommand = defineCommand({
  command: 'completion',
  describe: 'Print a bash completion script',
  builder: (y) => y,
  handler: async () => {
    // The script only names the program; it calls back `micro --get-yargs-completions`.
    const { default: yargs } = await import('yargs');
    yargs([]).scriptName('micro').showCompletionScript();
  },
});

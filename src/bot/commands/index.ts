// The built-in command table, in help order. A placeholder until the full table (basic, registry,
// call, platform) lands: help, ping and echo, enough for the core and the inputs to be tested.
// Guarantees: read-only commands only. Limits: help lists every command in one reply.
import type { Command } from '../bot.ts';

/** The built-in commands, in help order. */
export function builtinCommands(): Command[] {
  return [
    {
      name: 'help',
      pattern: /^help$/i,
      usage: 'help',
      description: 'list the commands (* changes state: allowed users and roles only)',
      run: async (ctx) => [
        {
          kind: 'table',
          header: ['COMMAND', 'WHAT IT DOES'],
          rows: ctx.commands().map((c) => [`${c.usage}${c.changes ? ' *' : ''}`, c.description]),
        },
      ],
    },
    {
      name: 'ping',
      pattern: /^ping$/i,
      usage: 'ping',
      description: 'answer pong',
      run: async () => [{ kind: 'text', text: 'pong' }],
    },
    {
      name: 'echo',
      pattern: /^echo(?:\s+([\s\S]*))?$/i,
      usage: 'echo <text>',
      description: 'say the text back',
      run: async (_ctx, _args, match) => [{ kind: 'text', text: match[1] || 'echo what?' }],
    },
  ];
}

// The bot's built-in command table, in help order: the basic commands (help, ping, hello, time,
// echo, the three laws), the registry's (list services, get service, health, register,
// deregister), the calls (call, stream), the platform's (publish, store get/list, config get/set)
// and observability (traces, logs). The core tries them in this order, before the commands
// services provide.
import type { Command } from '../bot.ts';
import { basicCommands } from './basic.ts';
import { callCommands } from './call.ts';
import { observeCommands } from './observe.ts';
import { platformCommands } from './platform.ts';
import { registryCommands } from './registry.ts';

/** The built-in commands, in help order; a new array each time, for the caller to keep. */
export function builtinCommands(): Command[] {
  return [
    ...basicCommands,
    ...registryCommands,
    ...callCommands,
    ...platformCommands,
    ...observeCommands,
  ];
}

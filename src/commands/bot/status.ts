// `micro bot status`: each running bot (the nodes of the registry's `bot` service, each asked for
// its Bot.Status) with its inputs and its commands as tables; `-o json` prints the list of their
// BotStatus, each with its node's id, address and version (or the error it answered). With no bot
// running it says how to start one. Bounded as src/ui/bot-status.ts bounds it.
import { findBots } from '../../ui/bot-status.ts';
import type { Args } from '../shared/command.ts';
import { withConnection } from '../shared/connect.ts';
import { print } from '../shared/output.ts';
import { botsJson, botsText } from './format.ts';

/** The flags of `micro bot status`. */
export interface StatusFlags {
  /** Ms each bot node may take to answer (default 5000). */
  timeout?: number;
}

/** Prints the running bots, their inputs and commands. */
export async function printBotStatus(args: Args<StatusFlags>): Promise<void> {
  const found = await withConnection(args, ({ registry, client }) =>
    findBots(registry, client, args.timeout ?? 5000),
  );
  if (args.output === 'json') print('json', botsJson(found), () => '');
  else print('text', found, botsText);
}

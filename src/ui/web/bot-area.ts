// The dashboard's route to the running bots (`micro bot`, issue 22): GET /_/api/bot/status answers
// `{bots, total}`, each node of the `bot` service the dashboard follows with its Bot.Status (its
// inputs, its commands, how many it handled) or why it did not answer; bot-status.ts bounds the
// nodes asked, the time each may take and every answer. Calls are made as the logged-in user (with
// auth on). Read only; the bot's audited commands come from the events stream (?topic=micro.audit).
import { BOT_SERVICE } from '../../bot/bot.ts';
import type { Client } from '../../runtime/index.ts';
import { readBots } from '../bot-status.ts';
import { areaGet, type AreaRoute } from './area-routes.ts';
import type { Feed } from './feed.ts';

/** What the Bot page reads through: the services followed, a client, and a node's time to answer. */
export interface BotArea {
  feed: Feed;
  client: Client;
  timeout: number;
}

/** The bot area's routes, by path under /_/api/. */
export const BOT_ROUTES: Readonly<Record<string, AreaRoute<BotArea>>> = {
  'bot/status': areaGet({}, async (a) => {
    await a.feed.ready;
    return readBots(a.client, a.feed.get(BOT_SERVICE) ?? [], a.timeout);
  }),
};

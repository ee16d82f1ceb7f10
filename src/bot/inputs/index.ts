// The bot's inputs by name: MICRO_BOT_INPUTS (`micro bot --inputs`) picks from this table. Each
// input is one file behind the Input interface (bot.ts); adding a medium is one file and one entry.
import type { InputFactory } from '../bot.ts';
import { slack } from './slack.ts';
import { stdin } from './stdin.ts';
import { xmpp } from './xmpp.ts';

/** The inputs by name. */
export const inputs: Readonly<Record<string, InputFactory>> = {
  /** The terminal: one command a line on stdin, replies on stdout. */
  stdin,
  /** Slack, through Socket Mode and the Web API (MICRO_BOT_SLACK_*). */
  slack,
  /** XMPP (Jabber): direct messages and rooms (MICRO_BOT_XMPP_*). */
  xmpp,
};

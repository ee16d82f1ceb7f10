// The bot's basic commands, as the original had them: help (every command known now, or one), ping,
// hello, time, echo and the three laws. None changes state or calls anything; help lists at most
// MAX_ROWS commands, service-provided ones included.
import { notFound } from '../../runtime/errors.ts';
import type { Answer, Command } from '../bot.ts';
import { BOT_ID, tableOf, usageError } from './parts.ts';

/** `yes` in help's CHANGES column: the safety checks (allow-list, roles) apply to it. */
const changesCell = (c: Command): string => (c.changes ? 'yes' : '');

/** The command `help <words>` asks about: by name, else the one whose pattern takes the words, else those named from them. */
function findCommands(all: readonly Command[], words: string): Command[] {
  const asked = words.toLowerCase().replace(/\s+/g, ' ');
  const named = all.filter((c) => c.name.toLowerCase() === asked);
  if (named.length > 0) return named;
  const matching = all.filter((c) => c.pattern.test(words));
  if (matching.length > 0) return matching.slice(0, 1);
  return all.filter((c) => c.name.toLowerCase().startsWith(`${asked} `));
}

/** `help [command]`: the commands known now (built-in, then service-provided), or one of them. */
export const help: Command = {
  name: 'help',
  pattern: /^help\b/i,
  usage: 'help [command]',
  description: 'list the commands, or show how to write one',
  async run(ctx, args) {
    const all = ctx.commands();
    const rowOf = (c: Command): string[] => [c.usage, changesCell(c), c.description];
    if (args.length === 0) {
      const note =
        'Commands with CHANGES yes are for the users the bot allows (MICRO_BOT_ALLOW or MICRO_BOT_ROLES).';
      return [
        ...tableOf(
          ['COMMAND', 'CHANGES', 'DESCRIPTION'],
          all.map(rowOf),
          'help <command> shows one',
        ),
        { kind: 'text', text: note },
      ];
    }
    const words = args.join(' ');
    const found = findCommands(all, words);
    if (found.length === 0)
      throw notFound(BOT_ID, `no command ${JSON.stringify(words.slice(0, 80))}: help lists them`);
    return tableOf(['COMMAND', 'CHANGES', 'DESCRIPTION'], found.map(rowOf), 'help lists them');
  },
};

/** `ping`: pong. */
export const ping: Command = {
  name: 'ping',
  pattern: /^ping$/i,
  usage: 'ping',
  description: 'answer pong: the bot is up',
  run: async () => [{ kind: 'text', text: 'pong' }],
};

/** `hello`: a greeting by name. */
export const hello: Command = {
  name: 'hello',
  pattern: /^(hello|hi)$/i,
  usage: 'hello',
  description: 'say hello',
  run: async (ctx) => [
    { kind: 'text', text: `hello ${ctx.message.user.name ?? ctx.message.user.id}` },
  ],
};

/** A time as ISO 8601 in the server's own zone, with its offset (`2026-12-08T01:30:00.000+01:00`). */
export function localIso(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, -1);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}

/** `time`: the server's time and zone. */
export const time: Command = {
  name: 'time',
  pattern: /^time$/i,
  usage: 'time',
  description: "the server's time (ISO 8601) and time zone",
  async run() {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    return [{ kind: 'text', text: `${localIso(new Date())} (${zone})` }];
  },
};

/** `echo <text>`: the text back. */
export const echo: Command = {
  name: 'echo',
  pattern: /^echo\b/i,
  usage: 'echo <text>',
  description: 'say the text back',
  async run(ctx, _args, match) {
    const text = ctx.message.text.slice(match[0].length).trim();
    if (text === '') throw usageError(echo, 'echo what?');
    return [{ kind: 'text', text }];
  },
};

const LAWS: Answer = [
  {
    kind: 'text',
    text: [
      '1. A robot may not injure a human being or, through inaction, allow a human being to come to harm.',
      '2. A robot must obey the orders given it by human beings except where such orders would conflict with the First Law.',
      '3. A robot must protect its own existence as long as such protection does not conflict with the First or Second Laws.',
    ].join('\n'),
  },
];

/** `the three laws of robotics`. */
export const threeLaws: Command = {
  name: 'three laws',
  pattern: /^(the )?three laws( of robotics)?$/i,
  usage: 'the three laws of robotics',
  description: 'the three laws of robotics',
  run: async () => LAWS,
};

/** The basic commands, in help order. */
export const basicCommands: readonly Command[] = [help, ping, hello, time, echo, threeLaws];

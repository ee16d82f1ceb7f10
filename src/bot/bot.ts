// The bot (issue 22): the shapes every part of `micro bot` shares. A Hubot-style bot inside the
// platform: people write commands in Slack, XMPP or the terminal; the bot runs them against the
// registry, the services and the platform areas, and replies formatted for the medium.
//
// The parts, one file each, importing one way (bot.ts <- format, safety, commands/*, services,
// inputs/* <- core <- index):
// - inputs/<name>.ts: one chat medium each (stdin, slack, xmpp), behind the Input interface;
// - commands/*.ts: the built-in command table (the original's, plus the newer CLI verbs);
// - services.ts: commands provided by services (`Command.Help`, `Command.Exec`), found by a watch;
// - safety.ts: who may run what (the allow-list, auth roles) and a rate limit per user;
// - format.ts: an Answer as text for a medium (code blocks, tables, truncation with a note);
// - core.ts: createBot, which reads each message, finds its command, checks it, runs it, replies
//   and audits it. Errors are replied, never thrown.
import type { Audit } from '../platform/audit/audit.ts';
import type { Registry } from '../registry/registry.ts';
import type { Client } from '../runtime/client/client.ts';
import type { ErrorShape } from '../runtime/errors.ts';

/** Who wrote a message, on which input. */
export interface ChatUser {
  /** The input's name: `slack`, `xmpp`, `stdin`. */
  input: string;
  /** The user's id on that input: a Slack user id (`U0123`), a bare JID (`alice@example.org`), the OS user. */
  id: string;
  /** A display name, when the input knows one. */
  name?: string;
}

/** One message the bot was given. */
export interface Message {
  /** Who wrote it. */
  user: ChatUser;
  /** The command text, with the bot's mention or prefix already taken off, trimmed. */
  text: string;
  /** Where to answer: a Slack channel id, a JID, `stdin`; the input's own token. */
  room: string;
  /** The input's thread or message id to answer in, when it has one (Slack `thread_ts`). */
  thread?: string;
}

/** One part of an answer; a medium formats each its own way. */
export type Part =
  /** Prose, sent as it is (remote text escaped by the formatter). */
  | { kind: 'text'; text: string }
  /** A JSON value, in a code block. */
  | { kind: 'json'; value: unknown }
  /** Aligned columns under a header, in a code block. */
  | { kind: 'table'; header: string[]; rows: string[][] }
  /** Preformatted text (a log, a trace waterfall), in a code block. */
  | { kind: 'code'; text: string }
  /** An error, as `{id, code, detail, status}`, said in one line. */
  | { kind: 'error'; error: ErrorShape };

/** What a command answers: one or more parts, in order. */
export type Answer = Part[];

/** How a medium writes an answer: what the formatter needs to know of it. */
export interface Medium {
  /** `slack` (mrkdwn, ``` blocks), `plain` (XMPP, the terminal: text, blocks indented as they are). */
  style: 'slack' | 'plain';
  /** The characters of one reply at most; longer answers are cut, with a note saying so. */
  maxLength: number;
}

/** What a command runs with. */
export interface CommandContext {
  /** The message (who, where, the whole text). */
  message: Message;
  /** The registry the bot watches. */
  registry: Registry;
  /** The bot's client: every call it makes for a user goes through it. */
  client: Client;
  /** Aborted when the command's time (MICRO_BOT_TIMEOUT) is up or the bot stops. */
  signal: AbortSignal;
  /** The commands known now (built-in and service-provided), for `help`. */
  commands(): readonly Command[];
}

/** One command: a pattern, its help, and what it does. */
export interface Command {
  /** Its name in help and the audit: `list services`, `call`, `deploy` (a service's). */
  name: string;
  /** Matches the message text (case-insensitive patterns; anchored with ^). */
  pattern: RegExp;
  /** How to write it: `call <service> <endpoint> [json]`. */
  usage: string;
  /** One line saying what it does. */
  description: string;
  /** The service that provides it (service-provided commands only). */
  service?: string;
  /** Set when it changes state (call, register, deregister, publish, config set, service commands): the safety checks apply. */
  changes?: boolean;
  /** Runs it; `args` are the words after the command's name (JSON kept whole), `match` the pattern's match. Throws a MicroError to refuse. */
  run(ctx: CommandContext, args: string[], match: RegExpMatchArray): Promise<Answer>;
  /** What the audit names as done to (`service:greeter:Say.Hello`); default the message text, cut to 200 characters. */
  target?(args: string[]): string;
}

/** One chat medium: it delivers messages and sends replies; it reconnects by itself. */
export interface Input {
  /** Its name: `slack`, `xmpp`, `stdin`. */
  readonly name: string;
  /** How replies on it are formatted. */
  readonly medium: Medium;
  /** Connects and starts delivering messages to `handle` (one at a time per room is not promised); resolves once connected the first time, rejects when it cannot start at all (bad settings). */
  start(handle: (message: Message) => void): Promise<void>;
  /** Sends a reply (already formatted text) to where the message came from. */
  reply(to: Message, text: string): Promise<void>;
  /** Disconnects and stops reconnecting. */
  stop(): Promise<void>;
  /** Whether it is connected now, since when, and to what (or why not), for `Bot.Status`. */
  status?(): Omit<InputStatus, 'name'>;
  /** Resolves when it has nothing more to deliver and every reply is sent (stdin at end of input); absent: never. */
  readonly ended?: Promise<void>;
}

/** Creates an input from the environment (its MICRO_BOT_<INPUT>_* variables); a bad setting is a TypeError naming it. */
export type InputFactory = (env: NodeJS.ProcessEnv, logger: BotLogger) => Input;

/** Where the bot says what goes wrong (stderr). */
export interface BotLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** Who may run commands that change state, and how often anyone may run any. */
export interface SafetyOptions {
  /** Users allowed to run commands that change state: `xmpp:alice@example.org`, `slack:U0123`, `stdin:*` (every user of an input). */
  allow?: string[];
  /** Auth roles allowed to run them (default `admin`): a chat user's roles are those of the account whose metadata `chat` names them (`xmpp:alice@example.org`). */
  roles?: string[];
  /** Commands a second per user (default 1; 0 is no limit), bursts of `burst` (default 5). */
  rate?: number;
  burst?: number;
  /** The roles of a chat user (from the auth area); none when not given. */
  rolesOf?: (user: ChatUser) => Promise<readonly string[]>;
}

/** What createBot takes. */
export interface BotOptions extends SafetyOptions {
  /** The inputs to serve. */
  inputs: Input[];
  /** The registry the bot lists and watches. */
  registry: Registry;
  /** The client its calls go through. */
  client: Client;
  /** Where each command is reported (source `bot`). */
  audit?: Audit;
  /** The built-in commands (default the whole table, commands/index.ts). */
  commands?: Command[];
  /** Endpoint names of service-provided commands (default `Command.Help`, `Command.Exec`). */
  helpEndpoint?: string;
  execEndpoint?: string;
  /** Ms a command may take (default 30,000). */
  timeout?: number;
  logger?: BotLogger;
  /** Commands provided by services (src/bot/services.ts), after the built-ins; closed with the bot. */
  services?: { commands(): Command[]; close(): void };
}

/** A running bot. */
export interface Bot {
  /** The commands known now, built-in then service-provided. */
  commands(): readonly Command[];
  /** Runs one message as an input would deliver it, returning the answer (tests, stdin). */
  handle(message: Message, medium: Medium): Promise<string>;
  /** Stops the inputs, the watch, and flushes the audit. */
  close(): Promise<void>;
  /** What `Bot.Status` answers: when it started, its inputs, its commands, how many it ran. */
  status(): BotStatus;
}

/** Defaults of the bot. */
export const BOT_DEFAULTS = {
  timeout: 30_000,
  rate: 1,
  burst: 5,
  roles: ['admin'],
  helpEndpoint: 'Command.Help',
  execEndpoint: 'Command.Exec',
  /** Characters of a message's text read at most. */
  maxText: 4_000,
} as const;

/** The service a running bot registers as, so the CLI, the dashboard and the explorer can see it. */
export const BOT_SERVICE = 'bot';

/** The endpoint answering BotStatus. */
export const BOT_STATUS_ENDPOINT = 'Bot.Status';

/** One input of a running bot, as `Bot.Status` reports it. */
export interface InputStatus {
  /** `slack`, `xmpp`, `stdin`. */
  name: string;
  /** Whether it is connected now. */
  connected: boolean;
  /** Since when it is (dis)connected, ms since the epoch. */
  since: number;
  /** What it is connected to, or why not (`xmpp://127.0.0.1:5222 as bot@localhost`, `reconnecting: ECONNREFUSED`). */
  detail?: string;
}

/** What a running bot's `Bot.Status` answers. */
export interface BotStatus {
  /** When the bot started, ms since the epoch. */
  started: number;
  /** Its inputs. */
  inputs: InputStatus[];
  /** The commands it knows now; `service` names the service that provides one. */
  commands: {
    name: string;
    usage: string;
    description: string;
    changes: boolean;
    service?: string;
  }[];
  /** Commands run since it started, refused ones included. */
  handled: number;
  /** Messages answered with an error (refusals included) or as an unknown command. */
  failed?: number;
}

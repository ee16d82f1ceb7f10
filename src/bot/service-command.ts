// One service-provided bot command: a service's `Command.Help` answer checked and bounded, and the
// Command that runs its `Command.Exec`. Guarantees: a Help answer is an object of at most 4 KB with
// string `usage` and `description` (cut to one line of 200 and 300 characters, control characters
// escaped) and an optional boolean `readOnly`; a bad `name` falls back to the service's name. Exec
// is called with `{args}` and answers `{result}` (a text part, or a code part when it has several
// lines), `{error}` (a MicroError 500 from the service, detail cut at 2,000 characters) or a micro
// error (thrown as it is). A command that changes state is called once, never retried.
import { printable } from '../registry/printable.ts';
import { MicroError } from '../runtime/errors.ts';
import type { Answer, Command } from './bot.ts';

/** What a service's `Command.Help` said, checked. */
export interface ServiceHelp {
  /** The command's name: Help's `name`, or the service's when Help gave none or a bad one. */
  name: string;
  /** How to write it (one line). */
  usage: string;
  /** What it does (one line). */
  description: string;
  /** True when running it changes nothing: the safety checks then do not apply. */
  readOnly: boolean;
}

/** A Help answer read: the help, with a note to log when its name was refused; or the problem with it. */
export type HelpReading = { help: ServiceHelp; note?: string } | { problem: string };

/** A command name a service may claim: lower case letters, digits and dashes, up to 40. */
export const COMMAND_NAME = /^[a-z][a-z0-9-]{0,39}$/;
/** Characters of a Help answer's JSON at most. */
export const MAX_HELP = 4096;
const MAX_USAGE = 200;
const MAX_DESCRIPTION = 300;
const MAX_ERROR = 2000;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Text on one line, control characters escaped, cut at max characters with an ellipsis. */
const oneLine = (text: string, max: number): string => {
  const line = printable(text.trim(), false);
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/** What a value is, for a message: `a string`, `null`, `an array`. */
const kindOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`;

/** Checks a `Command.Help` answer of the service `service`. */
export function readHelp(value: unknown, service: string): HelpReading {
  if (!isObject(value)) return { problem: `answered with ${kindOf(value)}, not an object` };
  const size = JSON.stringify(value).length;
  if (size > MAX_HELP)
    return { problem: `answered ${size} characters of JSON; at most ${MAX_HELP} are read` };
  const { name, usage, description, readOnly } = value;
  if (typeof usage !== 'string' || usage.trim() === '')
    return { problem: 'answered without a `usage` string' };
  if (typeof description !== 'string')
    return { problem: 'answered without a `description` string' };
  if (readOnly !== undefined && typeof readOnly !== 'boolean')
    return { problem: `answered \`readOnly\` as ${kindOf(readOnly)}, not a boolean` };
  // Matching ignores case, so `Shout` is the command `shout`.
  const lower = typeof name === 'string' ? name.toLowerCase() : undefined;
  const named = lower !== undefined && COMMAND_NAME.test(lower);
  const called = named ? lower : service;
  // The usage help shows starts with what to type: the name the command is called by (in place
  // of a name refused, else before what the usage says).
  const [first = '', ...rest] = usage.trim().split(' ');
  const said = first.toLowerCase();
  const shownUsage =
    said === called
      ? usage.trim()
      : said === lower
        ? [called, ...rest].join(' ')
        : `${called} ${usage.trim()}`;
  const help: ServiceHelp = {
    name: called,
    usage: oneLine(shownUsage, MAX_USAGE),
    description: oneLine(description, MAX_DESCRIPTION),
    readOnly: readOnly === true,
  };
  if (name === undefined || named) return { help };
  const shown = typeof name === 'string' ? JSON.stringify(oneLine(name, 60)) : kindOf(name);
  return {
    help,
    note: `its name ${shown} is not a command name (a-z, 0-9 and -, up to 40, starting with a letter): it is called "${service}"`,
  };
}

/** What a service command needs to be made. */
export interface ServiceCommandOptions {
  /** The service (name and version) that serves it. */
  service: string;
  version: string;
  /** Its Help, checked. */
  help: ServiceHelp;
  /** The endpoint that runs it (`Command.Exec`). */
  execEndpoint: string;
  /** Ms an Exec call may take at most (the command's signal may end it sooner). */
  timeout: number;
}

/** A command a service provides: which service (and version) runs it, for status and the audit. */
export interface ServiceCommand extends Command {
  /** The service that runs it. */
  service: string;
  /** The version its Help came from; Exec calls go to that version. */
  version: string;
}

/** A pattern matching `name` as the first word of a message, in any case. */
export function namePattern(name: string): RegExp {
  return new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`, 'i');
}

/** The Command that runs a service's `Command.Exec` with the words after its name. */
export function serviceCommand(o: ServiceCommandOptions): ServiceCommand {
  const { service, version, help, execEndpoint } = o;
  return {
    service,
    version,
    name: help.name,
    pattern: namePattern(help.name),
    usage: help.usage,
    description: help.description,
    changes: !help.readOnly,
    target: (args) => [`service:${service}:${execEndpoint}`, ...args].join(' '),
    async run(ctx, args) {
      const answer = await ctx.client.call<unknown>(
        service,
        execEndpoint,
        { args },
        {
          signal: ctx.signal,
          version,
          timeout: o.timeout,
          // Running it again on another node could do it twice.
          ...(!help.readOnly && { retries: 0 }),
        },
      );
      return execAnswer(answer, service, execEndpoint);
    },
  };
}

/** The Answer of an Exec reply: its result, or its error thrown as the service's. */
export function execAnswer(value: unknown, service: string, endpoint: string): Answer {
  if (isObject(value) && typeof value.error === 'string' && value.error !== '') {
    const detail =
      value.error.length > MAX_ERROR ? `${value.error.slice(0, MAX_ERROR)}…` : value.error;
    throw new MicroError(service, 500, detail);
  }
  if (!isObject(value) || typeof value.result !== 'string')
    throw new MicroError(
      'micro.bot',
      502,
      `${service} answered ${endpoint} with ${isObject(value) ? 'an object without a string `result`' : kindOf(value)}; a command answers {"result": "..."} or {"error": "..."}`,
    );
  const text = value.result.replace(/\s+$/, '');
  if (text === '') return [{ kind: 'text', text: '(no output)' }];
  return [text.includes('\n') ? { kind: 'code', text } : { kind: 'text', text }];
}

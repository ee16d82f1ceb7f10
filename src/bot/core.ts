// createBot: the bot itself. For each message an input delivers it bounds the text, finds the first
// command whose pattern matches (built-ins first, then those services provide), checks it (the
// allow-list, roles and rate limit of safety.ts), runs it with a timeout signal, formats the answer
// for the input's medium, replies, and reports it to the audit (source `bot`).
//
// Guarantees: every message with text gets exactly one reply (an answer, an error line, or
// `unknown command`); nothing a command or an input does is thrown out of the bot: a failing
// command is an error reply (a MicroError's shape, never a stack), a failing reply is logged. A
// command is given up after the timeout (a 408 reply) even when it ignores its signal. Limits:
// BOT_DEFAULTS.maxText characters read of a message (a longer one is refused), MAX_RUNNING
// commands at once across every input (more are answered 503), audit fields cut to their bounds.
import type { AuditRecord } from '../platform/audit/audit.ts';
import { printable } from '../registry/printable.ts';
import {
  internalServerError,
  MicroError,
  serviceUnavailable,
  badRequest,
  timeout,
  toMicroError,
} from '../runtime/errors.ts';
import { splitArgs } from './args.ts';
import { botRecord } from './audit-record.ts';
import {
  BOT_DEFAULTS,
  type Answer,
  type Bot,
  type BotLogger,
  type BotOptions,
  type BotStatus,
  type Command,
  type Input,
  type Medium,
  type Message,
} from './bot.ts';
import { builtinCommands } from './commands/index.ts';
import { formatAnswer } from './format.ts';
import { createSafety, SAFETY_ID, userKey } from './safety.ts';

/** Commands running at once at most, across every input. */
export const MAX_RUNNING = 64;

/** Where the bot says what goes wrong when no logger is given: stderr. */
const stderrLogger: BotLogger = {
  info: (m) => void process.stderr.write(`micro bot: ${m}\n`),
  warn: (m) => void process.stderr.write(`micro bot: ${m}\n`),
};

const errorAnswer = (err: MicroError): Answer => [{ kind: 'error', error: err.toJSON() }];

/** What an unknown command counts as for the rate limit: a command that changes nothing. */
const UNKNOWN: Command = {
  name: 'unknown',
  pattern: /$^/,
  usage: '',
  description: '',
  run: () => Promise.resolve([]),
};

/** Starts every input with the bot's handler; resolves once all are connected (stops them all if one cannot start). */
export async function createBot(o: BotOptions): Promise<Bot> {
  const logger = o.logger ?? stderrLogger;
  const builtins = o.commands ?? builtinCommands();
  const limit = o.timeout ?? BOT_DEFAULTS.timeout;
  const safety = createSafety(o);
  const stopping = new AbortController();
  let running = 0;
  let handled = 0;
  /** Messages answered with an error or as an unknown command. */
  let failed = 0;
  const startedAt = Date.now();

  const commands = (): readonly Command[] => [...builtins, ...(o.services?.commands() ?? [])];

  /** Runs a command until it answers, or the time is up, or the bot stops. */
  const runCommand = (
    command: Command,
    message: Message,
    args: string[],
    match: RegExpMatchArray,
  ) => {
    const signal = AbortSignal.any([AbortSignal.timeout(limit), stopping.signal]);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () =>
        reject(
          stopping.signal.aborted
            ? serviceUnavailable(SAFETY_ID, 'the bot is stopping')
            : timeout(
                SAFETY_ID,
                `${command.name} took longer than ${limit} ms (MICRO_BOT_TIMEOUT)`,
              ),
        );
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    const ctx = { message, registry: o.registry, client: o.client, signal, commands };
    return Promise.race([command.run(ctx, args, match), aborted]).finally(() =>
      signal.removeEventListener('abort', onAbort!),
    );
  };

  /** The answer to a message whose text is trimmed. */
  const answer = async (message: Message): Promise<Answer> => {
    const { text, user } = message;
    // Counted against the user's rate: a flood of nonsense or of huge texts is not answered without limit.
    const limited = (): Promise<Answer | undefined> =>
      safety.check(user, UNKNOWN).then(
        () => undefined,
        (err: unknown) => errorAnswer(toMicroError(err, SAFETY_ID)),
      );
    // A bare mention (`@micro`): what to say to it.
    if (text === '') return (await limited()) ?? [{ kind: 'text', text: 'yes? try help' }];
    if (text.length > BOT_DEFAULTS.maxText)
      return (
        (await limited()) ??
        errorAnswer(
          badRequest(
            SAFETY_ID,
            `the message has ${text.length.toLocaleString('en-US')} characters; a command has at most ${BOT_DEFAULTS.maxText.toLocaleString('en-US')}`,
          ),
        )
      );
    let found: { command: Command; match: RegExpMatchArray } | undefined;
    for (const command of commands()) {
      const match = text.match(command.pattern);
      if (match) {
        found = { command, match };
        break;
      }
    }
    if (!found) {
      const refused = await limited();
      if (refused) return refused;
      failed++;
      return [{ kind: 'text', text: unknownCommand(text, commands()) }];
    }
    const { command, match } = found;
    handled++;
    const started = performance.now();
    const args = splitArgs(text).slice(command.name.trim().split(/\s+/).length);
    let result: AuditRecord['result'] = 'ok';
    let error: MicroError | undefined;
    let reply: Answer;
    try {
      try {
        await safety.check(user, command);
      } catch (err) {
        result = 'refused';
        throw err;
      }
      // Checked and counted with no await between: never more than MAX_RUNNING at once.
      if (running >= MAX_RUNNING)
        throw serviceUnavailable(
          SAFETY_ID,
          `the bot is busy (${MAX_RUNNING} commands running); try again`,
        );
      running++;
      try {
        reply = await runCommand(command, message, args, match);
      } finally {
        running--;
      }
    } catch (err) {
      if (result === 'ok') result = 'error';
      error = toMicroError(err, SAFETY_ID);
      reply = errorAnswer(error);
    }
    let target = text;
    try {
      target = command.target?.(args) ?? text;
    } catch {
      // The message text says what was done to what.
    }
    o.audit?.report(
      botRecord({
        actor: userKey(user),
        action: command.name,
        target,
        result,
        code: error?.code ?? 200,
        ms: Math.round(performance.now() - started),
        ...(error && { detail: error.detail }),
        labels: { input: user.input, room: message.room },
      }),
    );
    return reply;
  };

  const handle = async (message: Message, medium: Medium): Promise<string> => {
    const text = message.text.trim();
    const word = (text.split(/\s+/)[0] ?? '').slice(0, 40);
    // A bug of the bot's own (or an answer JSON cannot write: a BigInt, a cycle) is still one
    // reply: a 500 without the internals, which go to the log.
    const failure = (what: string, err: unknown): Answer => {
      logger.warn(`${what} of ${printable(word, false)}: ${(err as Error).message}`);
      return errorAnswer(
        internalServerError(
          SAFETY_ID,
          `the ${what} of ${word} could not be written; see the bot's log`,
        ),
      );
    };
    let reply: Answer;
    try {
      reply = await answer({ ...message, text });
    } catch (err) {
      reply = failure('answer', err);
    }
    let formatted: string;
    try {
      formatted = formatAnswer(reply, medium);
    } catch (err) {
      reply = failure('answer', err);
      formatted = formatAnswer(reply, medium);
    }
    if (reply.some((p) => p.kind === 'error')) failed++;
    // An answer of no parts is still one reply (the stdin input waits for it).
    return formatted === '' ? '(no output)' : formatted;
  };

  /** What an input is started with: each message handled, its reply sent, failures logged. */
  const handlerOf = (input: Input) => (delivered: Message) => {
    // The user is of the input that delivered the message: only stdin's own are trusted as the operator.
    const message =
      delivered.user.input === input.name
        ? delivered
        : { ...delivered, user: { ...delivered.user, input: input.name } };
    void handle(message, input.medium)
      .then((text) => (text === '' ? undefined : input.reply(message, text)))
      .catch((err: unknown) =>
        logger.warn(`${input.name}: cannot reply in ${message.room}: ${(err as Error).message}`),
      );
  };

  const stopInputs = async (inputs: Input[]): Promise<void> => {
    const stopped = await Promise.allSettled(inputs.map((i) => i.stop()));
    stopped.forEach((s, n) => {
      if (s.status === 'rejected')
        logger.warn(`${inputs[n]!.name}: cannot stop: ${(s.reason as Error).message}`);
    });
  };

  const started = await Promise.allSettled(o.inputs.map((i) => i.start(handlerOf(i))));
  const refused = started.findIndex((s) => s.status === 'rejected');
  if (refused >= 0) {
    await stopInputs(o.inputs);
    o.services?.close();
    safety.close();
    throw (started[refused] as PromiseRejectedResult).reason;
  }

  const status = (): BotStatus => ({
    started: startedAt,
    inputs: o.inputs.map((i) => ({
      name: i.name,
      ...(i.status?.() ?? { connected: true, since: startedAt }),
    })),
    commands: commands().map((c) => ({
      name: c.name,
      usage: c.usage,
      description: c.description,
      changes: c.changes === true,
      ...(c.sensitive === true && { sensitive: true }),
      ...(c.service !== undefined && { service: c.service }),
    })),
    handled,
    failed,
  });

  return {
    commands,
    handle,
    status,
    async close() {
      stopping.abort();
      await stopInputs(o.inputs);
      o.services?.close();
      safety.close();
      await o.audit?.flush();
    },
  };
}

/** The reply to text no command matches: the usages of the commands its first word starts, else a pointer to help. */
function unknownCommand(text: string, known: readonly Command[]): string {
  const word = (text.split(/\s+/)[0] ?? '').slice(0, 40);
  const first = word.toLowerCase();
  const near = known.filter((c) => c.name.split(' ')[0] === first).map((c) => c.usage);
  if (near.length === 0) return `unknown command "${word}": try help`;
  const said = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return `"${said}" is not a command; did you mean: ${near.slice(0, 5).join(' | ')}`;
}

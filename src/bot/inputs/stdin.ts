// The terminal as a chat: one command a line on stdin, each reply on stdout followed by a blank
// line, so `echo "list services" | micro bot --inputs stdin` prints the answer and ends, and a
// person can type commands at a prompt. The user is `stdin:<OS user>`, the local operator.
//
// Guarantees: lines are run one at a time, in order, each reply written before the next line is
// delivered (a script's output reads in its order); blank lines and lines starting with `#` are
// skipped; `ended` resolves once the input is at its end and the last reply is written. Limits:
// no settings; a line longer than BOT_DEFAULTS.maxText is refused by the bot, not cut.
import { userInfo } from 'node:os';
import { createInterface, type Interface } from 'node:readline';
import type { Input, InputFactory, Medium, Message } from '../bot.ts';

/** How replies on the terminal are written. */
export const STDIN_MEDIUM: Medium = { style: 'plain', maxLength: 100_000 };

/** Where the stdin input reads and writes (tests give their own streams). */
export interface StdinOptions {
  /** Default process.stdin. */
  input?: NodeJS.ReadableStream;
  /** Default process.stdout. */
  output?: NodeJS.WritableStream;
  /** The user's id (default the OS user's name). */
  user?: string;
}

/** The OS user's name, or `operator` when the system has none for this uid. */
function osUser(): string {
  try {
    return userInfo().username || 'operator';
  } catch {
    return 'operator';
  }
}

/** An input reading commands from a stream and writing replies to another. */
export function createStdinInput(options: StdinOptions = {}): Input {
  const output = options.output ?? process.stdout;
  const user = { input: 'stdin', id: options.user ?? osUser() };
  let lines: Interface | undefined;
  let waiting: (() => void) | undefined;
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  let state = { connected: false, since: Date.now(), detail: 'not started' };

  const write = (text: string): Promise<void> =>
    new Promise((resolve, reject) =>
      output.write(`${text}\n\n`, (err) => (err ? reject(err) : resolve())),
    );

  return {
    name: 'stdin',
    medium: STDIN_MEDIUM,
    ended,
    start(handle) {
      lines = createInterface({ input: options.input ?? process.stdin, terminal: false });
      const run = async (): Promise<void> => {
        for await (const raw of lines!) {
          const text = raw.trim();
          if (text === '' || text.startsWith('#')) continue;
          const replied = new Promise<void>((resolve) => (waiting = resolve));
          handle({ user, text, room: 'stdin' });
          await replied;
        }
      };
      state = { connected: true, since: Date.now(), detail: 'standard input' };
      void run()
        .catch(() => undefined)
        .finally(() => {
          state = { connected: false, since: Date.now(), detail: 'end of input' };
          end();
        });
      return Promise.resolve();
    },
    status: () => state,
    async reply(_to: Message, text: string) {
      try {
        await write(text);
      } finally {
        const next = waiting;
        waiting = undefined;
        next?.();
      }
    },
    stop() {
      lines?.close();
      waiting?.();
      return Promise.resolve();
    },
  };
}

/** The stdin input from the environment: it has no settings. */
export const stdin: InputFactory = () => createStdinInput();

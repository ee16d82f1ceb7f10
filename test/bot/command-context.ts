// A CommandContext as the bot's core makes one, for running a built-in command's run() in a test:
// the text is matched against the table as the core does (the first command whose pattern takes
// it), and the words after the match are the arguments (given as the core's splitArgs would give
// them when they hold JSON with spaces).
import assert from 'node:assert/strict';
import type { Answer, Command, CommandContext, Part } from '../../src/bot/bot.ts';
import { builtinCommands } from '../../src/bot/commands/index.ts';
import type { Registry } from '../../src/registry/registry.ts';
import type { Client } from '../../src/runtime/client/client.ts';

/** What a test's context runs against. */
export interface TestContext {
  registry: Registry;
  client: Client;
  /** Aborts the commands run (default: never). */
  signal?: AbortSignal;
  /** The commands `help` sees (default: the built-in table). */
  commands?: readonly Command[];
}

/** Runs `text` as the bot would: finds its command, splits the words after it (or takes `args`), runs it. */
export async function run(t: TestContext, text: string, args?: string[]): Promise<Answer> {
  const table = t.commands ?? builtinCommands();
  let match: RegExpMatchArray | null = null;
  const command = table.find((c) => (match = c.pattern.exec(text)) !== null);
  assert.ok(command && match, `a command takes ${JSON.stringify(text)}`);
  const found: RegExpMatchArray = match;
  const words = args ?? text.slice(found[0].length).trim().split(/\s+/).filter(Boolean);
  const ctx: CommandContext = {
    message: { user: { input: 'stdin', id: 'ann', name: 'Ann' }, text, room: 'stdin' },
    registry: t.registry,
    client: t.client,
    signal: t.signal ?? new AbortController().signal,
    commands: () => table,
  };
  return command.run(ctx, words, found);
}

/** The parts of one kind in an answer. */
export function partsOf<K extends Part['kind']>(
  answer: Answer,
  kind: K,
): Extract<Part, { kind: K }>[] {
  return answer.filter((p): p is Extract<Part, { kind: K }> => p.kind === kind);
}

/** The text parts of an answer, joined by newlines. */
export const textOf = (answer: Answer): string =>
  partsOf(answer, 'text')
    .map((p) => p.text)
    .join('\n');

/** The first table of an answer. */
export function tableOf(answer: Answer): { header: string[]; rows: string[][] } {
  const [table] = partsOf(answer, 'table');
  assert.ok(table, `a table in ${JSON.stringify(answer).slice(0, 300)}`);
  return table;
}

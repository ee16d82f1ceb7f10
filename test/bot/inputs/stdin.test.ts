// The stdin input under a real bot: one command a line, replies in order each followed by a blank
// line, blank and # lines skipped, `ended` once the input is done and the last reply written.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { Command } from '../../../src/bot/bot.ts';
import { builtinCommands } from '../../../src/bot/commands/index.ts';
import { createBot } from '../../../src/bot/core.ts';
import { createStdinInput } from '../../../src/bot/inputs/stdin.ts';
import { createClient, createMemoryRegistry } from '../../../src/runtime/index.ts';

// Slower than the lines after it: replies must still come in the order of the lines.
const slow: Command = {
  name: 'slow',
  pattern: /^slow$/,
  usage: 'slow',
  description: 'answers after a while',
  run: () => new Promise((r) => setTimeout(() => r([{ kind: 'text', text: 'done' }]), 50)),
};

describe('stdin input', () => {
  it('answers each line in order, then ends with the input', async () => {
    const registry = createMemoryRegistry();
    const client = createClient({ registry });
    const input = new PassThrough();
    const output = new PassThrough();
    let written = '';
    output.on('data', (b: Buffer) => (written += b.toString()));
    const stdin = createStdinInput({ input, output, user: 'me' });
    const bot = await createBot({
      inputs: [stdin],
      registry,
      client,
      commands: [...builtinCommands(), slow],
      logger: { info() {}, warn() {} },
    });
    input.end('slow\n\n# a comment\necho a  <b>\nnope\n');
    await stdin.ended;
    assert.equal(written, 'done\n\na  <b>\n\nunknown command "nope": try help\n\n');
    assert.equal(stdin.status?.().connected, false);
    assert.equal(stdin.status?.().detail, 'end of input');
    await bot.close();
    await client.close();
    await registry.close();
  });
});

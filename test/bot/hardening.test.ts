// The bot against hostile or broken input, as a chat user would see it: every message answered even
// when a command's answer cannot be written.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command, Input, Message } from '../../src/bot/bot.ts';
import { builtinCommands } from '../../src/bot/commands/index.ts';
import { createBot } from '../../src/bot/core.ts';
import { createClient, createMemoryRegistry } from '../../src/runtime/index.ts';
import { closeAll } from '../helpers/fixtures.ts';
import { testInput } from './test-input.ts';

const circular: Record<string, unknown> = {};
circular.self = circular;

/** A command answering a value JSON cannot write (a BigInt from a codec, a cycle). */
const odd: Command = {
  name: 'odd',
  pattern: /^odd (big|cycle)$/,
  usage: 'odd big|cycle',
  description: 'answers what JSON cannot write',
  run: async (_ctx, [what]) => [{ kind: 'json', value: what === 'big' ? 2n ** 64n : circular }],
};

/** A command answering nothing at all. */
const silent: Command = {
  name: 'silent',
  pattern: /^silent$/,
  usage: 'silent',
  description: 'answers no parts',
  run: async () => [],
};

/** Makes a bot over a memory registry with the built-ins and `extra`, served by one test input. */
async function botWith(
  extra: Command[],
  options: { allow?: string[]; rate?: number; burst?: number } = {},
) {
  const registry = createMemoryRegistry();
  const client = createClient({ registry });
  const input = testInput('slack');
  const warnings: string[] = [];
  const bot = await createBot({
    inputs: [input],
    registry,
    client,
    commands: [...builtinCommands(), ...extra],
    rate: options.rate ?? 0,
    ...(options.burst && { burst: options.burst }),
    ...(options.allow && { allow: options.allow }),
    logger: { info() {}, warn: (m) => void warnings.push(m) },
  });
  return { input, bot, warnings, close: () => closeAll(bot, client, registry) };
}

describe('the bot, hardened', () => {
  it('answers a command whose answer cannot be written with a 500, not silence', async () => {
    const { input, bot, warnings, close } = await botWith([odd, silent]);
    try {
      for (const what of ['big', 'cycle']) {
        const reply = await input.say(`odd ${what}`);
        assert.match(reply, /^error 500 \(micro\.bot\): the answer of odd could not be written/);
        assert.doesNotMatch(reply, /BigInt|circular|at /i, 'no internal detail in the chat');
      }
      assert.equal(bot.status().failed, 2);
      assert.match(warnings.join('\n'), /odd/);
      assert.equal(await input.say('ping'), 'pong', 'the bot goes on');
      assert.equal(await input.say('silent'), '(no output)', 'an empty answer is still a reply');
    } finally {
      await close();
    }
  });

  it('counts messages too long to read against the rate limit', async () => {
    const { input, close } = await botWith([], { rate: 0.001, burst: 2 });
    try {
      const replies: string[] = [];
      for (let i = 0; i < 4; i++) replies.push(await input.say(`echo ${'x'.repeat(5_000)}`, 'U1'));
      assert.deepEqual(
        replies.map((r) => r.slice(0, 9)),
        ['error 400', 'error 400', 'error 429', 'error 429'],
      );
      assert.match(await input.say('ping', 'U1'), /^error 429 /);
      assert.equal(await input.say('ping', 'U2'), 'pong', 'other users are not limited');
    } finally {
      await close();
    }
  });

  it("trusts only the stdin input's users: another input cannot claim to be the terminal", async () => {
    const registry = createMemoryRegistry();
    const client = createClient({ registry });
    let handle!: (m: Message) => void;
    let replied!: (text: string) => void;
    const reply = new Promise<string>((resolve) => (replied = resolve));
    const spoofing: Input = {
      name: 'slack',
      medium: { style: 'plain', maxLength: 8_000 },
      start: async (h) => void (handle = h),
      reply: async (_to, text) => replied(text),
      stop: async () => undefined,
    };
    const bot = await createBot({ inputs: [spoofing], registry, client, rate: 0 });
    try {
      const record = '{"name":"evil","nodes":[{"id":"evil-1","address":"127.0.0.1:9"}]}';
      handle({ user: { input: 'stdin', id: 'U1' }, text: `register ${record}`, room: 'C1' });
      assert.match(await reply, /^error 403 \(micro\.bot\): U1 may not run register/);
      assert.match(await reply, /MICRO_BOT_ALLOW=slack:U1 /);
      await assert.rejects(registry.getService('evil'), /not found/);
    } finally {
      await closeAll(bot, client, registry);
    }
  });

  it('lets only allowed users read the store and config, which the bot reads with its own token', async () => {
    const { input, close } = await botWith([], { allow: ['slack:UADMIN'] });
    try {
      for (const text of ['store get db-password', 'STORE list', 'config get payments']) {
        const name = text.toLowerCase().split(' ').slice(0, 2).join(' ');
        assert.equal(
          await input.say(text, 'U1'),
          `error 403 (micro.bot): U1 may not run ${name}: it reads the platform's data; allow it with MICRO_BOT_ALLOW=slack:U1 or give the account whose metadata chat=slack:U1 the role admin`,
        );
        // An allowed user gets past the checks, to the area (not running here).
        assert.match(
          await input.say(text, 'UADMIN'),
          /^error 503 .*no answer from the (store|config) service|^error 503 .*no (store|config) service/,
        );
      }
      assert.match(await input.say('help store get', 'U1'), /\nstore get .* +reads +a key's value/);
      assert.match(await input.say('logs greeter', 'U1'), /^error 503 /, 'logs stay open');
    } finally {
      await close();
    }
  });

  it('refuses JSON arguments nested deeper than 64 levels before calling anything', async () => {
    const { input, close } = await botWith([], { allow: ['slack:U1'] });
    try {
      const deep = `${'['.repeat(100)}${']'.repeat(100)}`;
      for (const text of [
        `call greeter Say.Hello ${deep}`,
        `publish orders ${deep}`,
        `config set app a.b ${deep}`,
      ])
        assert.match(
          await input.say(text, 'U1'),
          /^error 400 \(micro\.bot\): the (request|event|value) nests arrays and objects deeper than 64 levels$/,
        );
      const fine = `${'['.repeat(64)}${']'.repeat(64)}`;
      assert.match(await input.say(`call greeter Say.Hello ${fine}`, 'U1'), /^error 404 /);
    } finally {
      await close();
    }
  });
});

// createBot over a memory registry and a real greeter, through an input made in this test: help,
// an unknown command, a state change refused then allowed, the rate limit, a timeout, errors as
// replies, and an audit record for every command.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Bot, Command } from '../../src/bot/bot.ts';
import { builtinCommands } from '../../src/bot/commands/index.ts';
import { createBot, MAX_RUNNING } from '../../src/bot/core.ts';
import { createMemoryAudit } from '../../src/platform/audit/memory.ts';
import { createClient, createMemoryRegistry, type Service } from '../../src/runtime/index.ts';
import { closeAll, greeterService } from '../helpers/fixtures.ts';
import { testInput } from './test-input.ts';

const callCommand: Command = {
  name: 'call',
  pattern: /^call\s/i,
  usage: 'call <service> <endpoint> [json]',
  description: 'call an endpoint',
  changes: true,
  target: (args) => `service:${args[0]}:${args[1]}`,
  run: async (ctx, [service = '', endpoint = '', body = '{}']) => [
    {
      kind: 'json',
      value: await ctx.client.call(service, endpoint, JSON.parse(body), { signal: ctx.signal }),
    },
  ],
};
const stuck: Command = {
  name: 'stuck',
  pattern: /^stuck$/,
  usage: 'stuck',
  description: 'never answers, ignoring its signal',
  run: () => new Promise(() => undefined),
};
const broken: Command = {
  name: 'broken',
  pattern: /^broken$/,
  usage: 'broken',
  description: 'throws a plain error',
  run: () => Promise.reject(new TypeError('oops')),
};

describe('createBot', () => {
  const registry = createMemoryRegistry();
  const client = createClient({ registry });
  const audit = createMemoryAudit();
  const input = testInput();
  let greeter: Service;
  let bot: Bot;

  before(async () => {
    greeter = greeterService(registry);
    await greeter.start();
    bot = await createBot({
      inputs: [input],
      registry,
      client,
      audit,
      commands: [...builtinCommands(), callCommand, stuck, broken],
      allow: ['test:root'],
      rate: 0.001,
      burst: 6,
      timeout: 300,
      logger: { info() {}, warn() {} },
    });
  });
  after(() => closeAll(bot, greeter, client, registry));

  it('lists the commands in help, marking those that change state', async () => {
    const help = await input.say('help', 'helper');
    assert.match(help, /^```\nCOMMAND +CHANGES +DESCRIPTION\n/);
    // Escaped for Slack after the layout: the columns line up as Slack shows them.
    assert.match(help, /\ncall &lt;service&gt; &lt;endpoint&gt; \[json\] +yes +call an endpoint/);
    assert.match(help, /\nping +answer pong/);
    assert.equal(await input.say('  ping  ', 'helper'), 'pong');
  });

  it('answers an unknown command with a hint, and a bare mention', async () => {
    assert.equal(
      await input.say('deploy everything', 'helper'),
      'unknown command "deploy": try help',
    );
    // A command's first word with words it does not take: its usage, not "unknown".
    assert.equal(
      await input.say('ping me', 'helper'),
      '"ping me" is not a command; did you mean: ping',
    );
    // A bare mention in a chat is answered (the terminal skips its blank lines itself).
    assert.equal(
      await bot.handle({ user: { input: 'test', id: 'x' }, text: '  ', room: 'C1' }, input.medium),
      'yes? try help',
    );
  });

  it('refuses a state change to a user not allowed, and runs it for one who is', async () => {
    const refused = await input.say('call greeter Say.Hello {"name": "Ann"}', 'alice');
    assert.equal(
      refused,
      'error 403 (micro.bot): alice may not run call: it changes state; allow it with MICRO_BOT_ALLOW=test:alice or give the account whose metadata chat=test:alice the role admin',
    );
    const ran = await input.say('call greeter Say.Hello {"name": "Ann Lee"}', 'root');
    assert.equal(ran, '```\n{\n  "msg": "Hello Ann Lee"\n}\n```');
    const missing = await input.say('call nobody Say.Hello {}', 'root');
    assert.match(missing, /^error 404 \(/);
  });

  it('replies errors and gives up a command past its time', async () => {
    assert.equal(await input.say('broken', 'root'), 'error 500 (micro.bot): oops');
    assert.equal(
      await input.say('stuck', 'root'),
      'error 408 (micro.bot): stuck took longer than 300 ms (MICRO_BOT_TIMEOUT)',
    );
    const long = await input.say(`echo ${'x'.repeat(5_000)}`, 'root');
    assert.match(
      long,
      /^error 400 \(micro\.bot\): the message has 5,005 characters; a command has at most 4,000$/,
    );
  });

  it('limits each user: a 429 reply past the burst', async () => {
    const replies: string[] = [];
    for (let i = 0; i < 8; i++) replies.push(await input.say('ping', 'chatty'));
    assert.deepEqual(replies.slice(0, 6), Array(6).fill('pong'));
    assert.match(replies[6]!, /^error 429 \(micro\.bot\): chatty sent too many commands/);
    assert.match(
      await input.say('nonsense', 'chatty'),
      /^error 429 /,
      'unknown commands count too',
    );
  });

  it('audits every command as source bot with who, what, the result and where', () => {
    const events = audit.events();
    const by = (action: string, actor: string) =>
      events.filter((e) => e.action === action && e.actor === actor);
    const [refused] = by('call', 'test:alice');
    assert.equal(refused?.source, 'bot');
    assert.equal(refused?.result, 'refused');
    assert.equal(refused?.code, 403);
    assert.equal(refused?.target, 'service:greeter:Say.Hello');
    assert.deepEqual(refused?.labels, { input: 'test', room: 'C1' });
    const calls = by('call', 'test:root');
    assert.deepEqual(
      calls.map((e) => [e.result, e.code]),
      [
        ['ok', 200],
        ['error', 404],
      ],
    );
    assert.deepEqual(
      by('stuck', 'test:root').map((e) => [e.result, e.code]),
      [['error', 408]],
    );
    assert.equal(by('ping', 'test:chatty').filter((e) => e.result === 'refused').length, 2);
    assert.equal(by('help', 'test:helper')[0]?.target, 'help');
    assert.equal(
      events.some((e) => e.action === 'deploy'),
      false,
      'an unknown command is no command',
    );
  });

  it('says its status: inputs, commands, and how many it ran', () => {
    const status = bot.status();
    assert.deepEqual(status.inputs, [{ name: 'test', connected: true, since: status.started }]);
    assert.deepEqual(
      status.commands.find((c) => c.name === 'call'),
      {
        name: 'call',
        usage: 'call <service> <endpoint> [json]',
        description: 'call an endpoint: call greeter Say.Hello {"name": "Ann"}',
        changes: true,
      },
    );
    assert.equal(status.handled, audit.events().length, 'every command run is one audit record');
  });
});

describe('createBot under load', () => {
  it(`runs at most ${MAX_RUNNING} commands at once, answering more with a 503`, async () => {
    const registry = createMemoryRegistry();
    const client = createClient({ registry });
    const input = testInput();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const wait: Command = {
      name: 'wait',
      pattern: /^wait$/,
      usage: 'wait',
      description: 'answers when the test says',
      run: async () => {
        await gate;
        return [{ kind: 'text', text: 'done' }];
      },
    };
    const bot = await createBot({
      inputs: [input],
      registry,
      client,
      commands: [wait],
      rate: 0,
      logger: { info() {}, warn() {} },
    });
    const waiting = Array.from({ length: MAX_RUNNING }, (_, i) => input.say('wait', `u${i}`));
    assert.equal(
      await input.say('wait', 'late'),
      'error 503 (micro.bot): the bot is busy (64 commands running); try again',
    );
    open();
    assert.deepEqual(new Set(await Promise.all(waiting)), new Set(['done']));
    assert.equal(await input.say('wait', 'late'), 'done');
    await closeAll(bot, client, registry);
  });
});

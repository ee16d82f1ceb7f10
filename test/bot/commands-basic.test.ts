// The bot's basic commands (help, ping, hello, time, echo, the three laws), run as the core runs
// them: matched by their patterns, and the answer's parts read as a user would see them.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Command } from '../../src/bot/bot.ts';
import { builtinCommands } from '../../src/bot/commands/index.ts';
import { localIso } from '../../src/bot/commands/basic.ts';
import { createClient, createMemoryRegistry } from '../../src/runtime/index.ts';
import { run, tableOf, textOf } from './command-context.ts';

describe('the bot’s basic commands', () => {
  const registry = createMemoryRegistry();
  const client = createClient({ registry });
  const t = { registry, client };
  after(async () => {
    await client.close();
    await registry.close();
  });

  it('help lists every command with its usage, marking those that change state', async () => {
    const deploy: Command = {
      name: 'deploy',
      pattern: /^deploy\b/i,
      usage: 'deploy <service> <version>',
      description: 'roll out a version',
      changes: true,
      run: async () => [],
    };
    const commands = [...builtinCommands(), deploy];
    const answer = await run({ ...t, commands }, 'help');
    const { header, rows } = tableOf(answer);
    assert.deepEqual(header, ['COMMAND', 'CHANGES', 'DESCRIPTION']);
    assert.equal(rows.length, commands.length);
    const byUsage = new Map(rows.map((r) => [r[0], r]));
    assert.equal(byUsage.get('ping')?.[1], '');
    assert.equal(byUsage.get('call <service> <endpoint> [json]')?.[1], 'yes');
    assert.deepEqual(byUsage.get('deploy <service> <version>'), [
      'deploy <service> <version>',
      'yes',
      'roll out a version',
    ]);
    assert.match(textOf(answer), /CHANGES yes.*MICRO_BOT_ALLOW/);
    // The original's order: help first.
    assert.equal(rows[0]?.[0], 'help [command]');
  });

  it('help <command> shows that one, by name or by what it takes', async () => {
    const one = tableOf(await run(t, 'help list services'));
    assert.deepEqual(
      one.rows.map((r) => r[0]),
      ['list services'],
    );
    assert.deepEqual(
      tableOf(await run(t, 'help query')).rows.map((r) => r[0]),
      ['call <service> <endpoint> [json]'],
    );
    await assert.rejects(run(t, 'help frobnicate'), {
      code: 404,
      detail: 'no command "frobnicate": help lists them',
    });
  });

  it('ping answers pong, hello greets by name, any case', async () => {
    assert.equal(textOf(await run(t, 'ping')), 'pong');
    assert.equal(textOf(await run(t, 'PING')), 'pong');
    assert.equal(textOf(await run(t, 'hello')), 'hello Ann');
  });

  it("time says the server's time as ISO 8601 with its offset, and its zone", async () => {
    const before = Date.now();
    const text = textOf(await run(t, 'time'));
    const m = /^(\S+) \((.+)\)$/.exec(text);
    assert.ok(m, text);
    assert.match(m[1]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
    assert.ok(Date.parse(m[1]!) >= before - 1 && Date.parse(m[1]!) <= Date.now());
    assert.equal(m[2], Intl.DateTimeFormat().resolvedOptions().timeZone);
    assert.equal(localIso(new Date(0)).length, '1970-01-01T00:00:00.000+00:00'.length);
  });

  it('echo says the text back as written; with none it says how to write it', async () => {
    assert.equal(textOf(await run(t, 'echo  hello   "there" {x}')), 'hello   "there" {x}');
    await assert.rejects(run(t, 'echo'), { code: 400, detail: 'echo what?: write echo <text>' });
  });

  it('the three laws, as the original matched them', async () => {
    for (const text of ['three laws', 'the three laws', 'The Three Laws of Robotics']) {
      const laws = textOf(await run(t, text));
      assert.match(laws, /^1\. A robot may not injure a human being/);
      assert.equal(laws.split('\n').length, 3);
    }
  });

  it('names each command once, and no pattern takes another’s text', () => {
    const table = builtinCommands();
    assert.equal(new Set(table.map((c) => c.name)).size, table.length);
    const samples: Record<string, string> = {
      register: 'register {}',
      deregister: 'deregister {}',
      'list services': 'list services',
      'get service': 'get service greeter',
    };
    for (const [name, text] of Object.entries(samples))
      assert.equal(table.find((c) => c.pattern.test(text))?.name, name, text);
  });
});

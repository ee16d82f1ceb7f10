// `micro bot status` and `micro bot audit` against a real control plane, called as the integrator
// wires them (printBotStatus, printBotAudit with the parsed arguments), their output captured: with
// no bot it says how to start one; with a stand-in bot (a service `bot` answering Bot.Status) and a
// node that is gone it prints each node's inputs and commands as tables, or its error; `-o json` the
// list of their BotStatus; the audit prints the bots' commands (source bot only), oldest first, and
// with --follow each new one; then the same through their yargs modules (subcommands.ts), a bad
// flag a 400 naming it. Remote text never reaches the terminal raw.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { printBotAudit } from '../../src/commands/bot/audit.ts';
import { printBotStatus } from '../../src/commands/bot/status.ts';
import { botAuditCommand, botStatusCommand } from '../../src/commands/bot/subcommands.ts';
import { withGlobalOptions } from '../../src/commands/shared/options.ts';
import yargs from 'yargs';
import type { Args } from '../../src/commands/shared/command.ts';
import type { GlobalArgs } from '../../src/commands/shared/options.ts';
import { createMicroAudit } from '../../src/platform/audit/index.ts';
import type { AuditRecord } from '../../src/platform/audit/audit.ts';
import { auditRecord } from '../helpers/audit-events.ts';
import { botAuditEvent, botStatus, STARTED, startStandInBot } from '../helpers/bot-status.ts';
import { closedAddress, startBench, type Bench } from '../helpers/cli.ts';
import { closeAll, record } from '../helpers/fixtures.ts';
import { controls } from '../helpers/terminal.ts';
import { capture, captured } from '../helpers/stdout.ts';
import type { Service } from '../../src/runtime/index.ts';

const NASTY = '\u001b[2J\u001b]0;pwned\u0007';

describe('micro bot status and micro bot audit', () => {
  let bench: Bench;
  let bot: Service | undefined;
  let args: <A>(more?: Partial<GlobalArgs> & A) => Args<A>;

  before(async () => {
    bench = await startBench();
    args = (more) =>
      ({
        _: [],
        $0: 'micro',
        registry: 'micro',
        registryAddress: bench.controlPlane.address,
        broker: 'http',
        transport: 'tcp',
        events: 'micro',
        output: 'text',
        ...more,
      }) as never;
  });
  after(() => closeAll(bot, bench));

  it('says how to start a bot when none runs', async () => {
    const text = await captured(() => printBotStatus(args()));
    assert.equal(
      text,
      'no bot is running: start one with micro bot --inputs stdin (or slack, xmpp: docs/bot.md)\n',
    );
    const json = await captured(() => printBotStatus(args({ output: 'json' })));
    assert.deepEqual(JSON.parse(json), []);
  });

  it("prints each bot node's inputs and commands, or its error; -o json their BotStatus", async () => {
    const status = botStatus({
      commands: [
        ...botStatus().commands,
        { name: `evil${NASTY}`, usage: 'evil', description: `d${NASTY}`, changes: false },
      ],
    });
    bot = await startStandInBot(bench.registry, () => status, 'bot-1');
    await bench.registry.register(
      record('bot', { node: 'bot-gone', address: await closedAddress() }),
    );
    const text = await captured(() => printBotStatus(args({ timeout: 2000 })));
    assert.deepEqual(controls(text), [], 'no raw controls');
    const nodes = text.trimEnd().split(/\n\n(?=bot )/);
    const first = nodes.find((n) => n.startsWith('bot bot-1 '));
    const second = nodes.find((n) => n.startsWith('bot bot-gone '));
    assert.ok(first && second, text);
    assert.match(
      first,
      new RegExp(
        `^bot bot-1 at 127\\.0\\.0\\.1:\\d+ \\(1\\.0\\.0\\): started ${new Date(STARTED).toISOString()}, 7 commands handled, 2 failed\n`,
      ),
    );
    const lines = first.split('\n');
    assert.deepEqual(
      lines.slice(2, 5).map((l) => l.split(/\s{2,}/)),
      [
        ['INPUT', 'STATE', 'SINCE', 'DETAIL'],
        [
          'xmpp',
          'connected',
          new Date(STARTED + 1000).toISOString(),
          'xmpp://127.0.0.1:5222 as bot@localhost',
        ],
        [
          'slack',
          'disconnected',
          new Date(STARTED + 2000).toISOString(),
          'reconnecting: ECONNREFUSED',
        ],
      ],
    );
    assert.deepEqual(
      lines.slice(6).map((l) => l.split(/\s{2,}/)),
      [
        ['COMMAND', 'CHANGES', 'SERVICE', 'USAGE', 'DESCRIPTION'],
        ['help', '-', 'built-in', 'help', 'Lists the commands'],
        ['call', 'yes', 'built-in', 'call <service> <endpoint> [json]', 'Calls an endpoint'],
        ['deploy', 'yes', 'deployer', 'deploy <service> <version>', 'Deploys a version'],
        [
          'evil\\u001b[2J\\u001b]0;pwned\\u0007',
          '-',
          'built-in',
          'evil',
          'd\\u001b[2J\\u001b]0;pwned\\u0007',
        ],
      ],
    );
    assert.match(
      second,
      /^bot bot-gone at 127\.0\.0\.1:\d+ \(1\.0\.0\): 503 Service Unavailable: cannot connect to 127\.0\.0\.1:\d+/,
    );

    const json = JSON.parse(await captured(() => printBotStatus(args({ output: 'json' })))) as {
      node: string;
      address?: string;
      error?: { code: number };
    }[];
    const mine = json.find((b) => b.node === 'bot-1');
    assert.deepEqual(mine, {
      node: 'bot-1',
      address: mine?.address,
      version: '1.0.0',
      ...status,
    });
    assert.equal(json.find((b) => b.node === 'bot-gone')?.error?.code, 503);
  });

  it('prints the audited bot commands, oldest first, and follows new ones', async () => {
    const audit = createMicroAudit({ client: bench.client });
    const report = (r: AuditRecord): void => audit.report(r);
    const { reporter: _r, summary: _s, ...first } = botAuditEvent({ ms: 4 });
    const {
      reporter: _r2,
      summary: _s2,
      ...second
    } = botAuditEvent({
      actor: `xmpp:bob${NASTY}`,
      action: 'deploy',
      target: 'service:deployer:Command.Exec',
      result: 'refused',
      code: 403,
      ms: 1,
    });
    report(first);
    report(auditRecord({ actor: 'carol' }));
    report(second);
    await audit.flush();
    // The control plane publishes each report: read until both show (bounded).
    let text = '';
    for (let i = 0; i < 50 && !/deploy/.test(text); i++) {
      text = await captured(() => printBotAudit(args()));
      if (!/deploy/.test(text)) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(controls(text), [], 'no raw controls');
    const rows = text
      .trimEnd()
      .split('\n')
      .map((l) => l.split(/\s{2,}/));
    assert.deepEqual(rows[0], [
      'TIME',
      'ACTOR',
      'COMMAND',
      'TARGET',
      'RESULT',
      'CODE',
      'MS',
      'ROOM',
    ]);
    assert.deepEqual(
      rows.slice(1).map((r) => r.slice(1)),
      [
        [
          'xmpp:alice@localhost',
          'call',
          'service:greeter:Say.Hello',
          'ok',
          '200',
          '4',
          'alice@localhost',
        ],
        [
          'xmpp:bob\\u001b[2J\\u001b]0;pwned\\u0007',
          'deploy',
          'service:deployer:Command.Exec',
          'refused',
          '403',
          '1',
          'alice@localhost',
        ],
      ],
    );
    assert.doesNotMatch(text, /carol/, 'an MCP tool call is no bot command');

    const json = JSON.parse(
      await captured(() => printBotAudit(args({ output: 'json', limit: 1 }))),
    ) as {
      source: string;
      action: string;
    }[];
    assert.deepEqual(
      json.map((r) => [r.source, r.action]),
      [['bot', 'deploy']],
    );

    // --follow: the recent ones, then each new one as it comes, until Ctrl-C.
    const c = capture();
    try {
      const following = printBotAudit(args({ output: 'json', follow: true, limit: 1 }));
      const seen = async (want: RegExp): Promise<void> => {
        for (let i = 0; i < 100 && !want.test(c.text()); i++)
          await new Promise((r) => setTimeout(r, 50));
      };
      await seen(/"deploy"/);
      const { reporter: _r3, summary: _s3, ...third } = botAuditEvent({ actor: 'slack:U0DAVE' });
      report(third);
      await audit.flush();
      await seen(/U0DAVE/);
      process.emit('SIGINT');
      await following;
    } finally {
      c.restore();
      await audit.close();
    }
    const followed = c
      .text()
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { actor: string }).actor);
    assert.deepEqual(followed, [second.actor, 'slack:U0DAVE']);
  });

  it('runs as the yargs commands src/commands/bot.ts lists, its flags checked', async () => {
    const run = (argv: string[]) =>
      withGlobalOptions(yargs(argv))
        .command(botStatusCommand)
        .command(botAuditCommand)
        .strict()
        .exitProcess(false)
        .parseAsync();
    const where = ['--registry-address', bench.controlPlane.address];
    const json = await captured(async () => void (await run(['status', ...where, '-o', 'json'])));
    assert.deepEqual((JSON.parse(json) as { node: string }[]).map((b) => b.node).sort(), [
      'bot-1',
      'bot-gone',
    ]);
    const audit = await captured(async () => void (await run(['audit', ...where, '--limit', '1'])));
    assert.match(audit, /^TIME\s+ACTOR\s+COMMAND[^\n]*\n\S+\s+slack:U0DAVE\s+call\s/);
    // A bad flag is a 400 naming it, as error JSON on stderr with exit code 1.
    const errors = capture(process.stderr);
    const code = process.exitCode;
    try {
      await run(['audit', ...where, '--limit', '0']);
      await run(['status', ...where, '--timeout', '1.5']);
      assert.equal(process.exitCode, 1);
    } finally {
      errors.restore();
      process.exitCode = code;
    }
    assert.deepEqual(
      errors
        .text()
        .trimEnd()
        .split('\n')
        .map((e) => (JSON.parse(e) as { code: number; detail: string }).detail),
      [
        '--limit must be a whole number of at least 1, not 0',
        '--timeout must be a whole number of at least 1, not 1.5',
      ],
    );
  });
});

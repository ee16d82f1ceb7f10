// The explorer's bot screen on a fake terminal (ink-testing-library): `b` on the services list opens
// it; with no bot running it says how to start one; then it lists each bot node (a stand-in service
// `bot` answering Bot.Status; one node that is gone, with its error), the chosen bot's inputs and
// commands, and the commands the bots ran (micro.audit, source bot only) live, newest first, with
// remote text escaped; PgDn scrolls the focused list, enter switches it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import { createElement as h } from 'react';
import { createMemoryEvents } from '../../src/platform/events/index.ts';
import type { Events } from '../../src/platform/events/events.ts';
import { createMemoryRegistry } from '../../src/registry/index.ts';
import { createClient, type Client, type Registry, type Service } from '../../src/runtime/index.ts';
import { App } from '../../src/ui/tui/App.ts';
import { BotView, type BotFocus } from '../../src/ui/tui/BotView.ts';
import { auditEvent } from '../helpers/audit-events.ts';
import { botAuditEvent, botStatus, startStandInBot } from '../helpers/bot-status.ts';
import { closedAddress } from '../helpers/cli.ts';
import { closeAll, record } from '../helpers/fixtures.ts';
import { frameWith, keys, press } from '../helpers/ink.ts';
import { controls } from '../helpers/terminal.ts';

process.env.COLUMNS = '160';
process.env.LINES = '40';

// eslint-disable-next-line no-control-regex
const plain = (frame: string): string => frame.replace(/\u001b\[[0-9;]*m/g, '');

describe('micro explore: the bot screen (fake terminal)', () => {
  let registry: Registry;
  let client: Client;
  let events: Events;
  let bot: Service | undefined;

  before(async () => {
    events = createMemoryEvents();
    registry = createMemoryRegistry();
    client = createClient({ registry, name: 'ops' });
    await events.publish('micro.audit', botAuditEvent({ ms: 4 }));
    await events.publish(
      'micro.audit',
      botAuditEvent({
        actor: 'xmpp:bob\u001b[2J',
        action: 'deploy',
        target: 'service:deployer:Command.Exec',
        result: 'refused',
        code: 403,
        ms: 1,
      }),
    );
    // An MCP tool call is no bot command.
    await events.publish('micro.audit', auditEvent({ actor: 'carol' }));
  });
  after(() => closeAll(bot, events, client, registry));

  it('says how to start a bot, then shows the bots, their inputs and commands, and the audit live', async () => {
    const view = render(h(App, { registry, client, events }));
    try {
      await frameWith(view, /SERVICES/);
      assert.match(view.lastFrame() ?? '', /m mcp\s+b bot/);
      await press(view, 'b');
      let frame = plain(
        await frameWith(view, (f) => /no bot is running/.test(f) && /AUDIT \(2\)/.test(f)),
      );
      assert.match(frame, /micro explore\s+bot/);
      assert.match(
        frame,
        /BOTS \(0\)\s+NODE.*\n\s+no bot is running: start one with micro bot --inputs stdin \(or slack, xmpp: docs\/bot\.md\)/,
      );
      assert.match(
        frame,
        /↑↓\/jk bot\s+pgup\/pgdn scroll commands\s+enter audit\s+esc services\s+q quit/,
      );
      // Newest first; the MCP call is left out; remote text cannot drive the terminal.
      assert.match(
        frame,
        /AUDIT \(2\)\s+TIME\s+ACTOR\s+COMMAND\s+TARGET\s+RESULT\s+CODE\s+MS\s+\S+\s+xmpp:bob\\u001b\[2J\s+deploy\s+service:deployer:Command\.Exec\s+refused\s+403\s+1\s+\S+\s+xmpp:alice@localhost\s+call\s+service:greeter:Say\.Hello\s+ok\s+200\s+4/,
      );
      assert.doesNotMatch(frame, /carol/);

      // A bot starts (with a hostile command name), and a node of a bot that is gone stays registered.
      bot = await startStandInBot(
        registry,
        () =>
          botStatus({
            commands: [
              ...botStatus().commands,
              { name: 'evil\u001b[31m', usage: 'x', description: 'y\u009b1m', changes: false },
            ],
          }),
        'bot-1',
      );
      await registry.register(record('bot', { node: 'bot-gone', address: await closedAddress() }));
      frame = plain(
        await frameWith(view, (f) => /BOTS \(2\)/.test(f) && /bot-gone/.test(f), 10_000),
      );
      assert.match(frame, /› bot-1\s+127\.0\.0\.1:\d+\s+\d\d:\d\d:\d\d\s+7\s+xmpp ●\s+slack ○/);
      assert.match(frame, /bot-gone\s+127\.0\.0\.1:\d+\s+-\s+-\s+5\d\d /);
      assert.match(
        frame,
        /INPUTS bot-1\s+NAME\s+STATE\s+SINCE\s+DETAIL\s+xmpp\s+connected\s+\d\d:\d\d:\d\d\s+xmpp:\/\/127\.0\.0\.1:5222 as bot@localhost\s+slack\s+disconnected\s+\d\d:\d\d:\d\d\s+reconnecting: ECONNREFUSED/,
      );
      assert.match(frame, /COMMANDS bot-1 \(4\)\s+NAME\s+CHANGES\s+SERVICE\s+USAGE\s+DESCRIPTION/);
      assert.match(frame, /help\s+-\s+built-in\s+help\s+Lists the commands/);
      assert.match(
        frame,
        /call\s+yes\s+built-in\s+call <service> <endpoint> \[json\]\s+Calls an endpoint/,
      );
      assert.match(
        frame,
        /deploy\s+yes\s+deployer\s+deploy <service> <version>\s+Deploys a version/,
      );
      assert.match(frame, /evil\\u001b\[31m\s+-\s+built-in\s+x\s+y\\u009b1m/);
      assert.deepEqual(controls(frame), [], 'no raw controls');

      // A new command shows at the top, live.
      await events.publish(
        'micro.audit',
        botAuditEvent({ actor: 'slack:U0DAVE', result: 'error', code: 500 }),
      );
      frame = plain(await frameWith(view, /AUDIT \(3\)/));
      assert.match(
        frame,
        /MS\s+\S+\s+slack:U0DAVE\s+call\s+service:greeter:Say\.Hello\s+error\s+500\s+3/,
      );

      // ↓ chooses the bot that is gone: its error instead of its inputs.
      await press(view, 'j');
      frame = plain(await frameWith(view, /INPUTS bot-gone/));
      assert.match(
        frame,
        /INPUTS bot-gone\s+NAME\s+STATE\s+SINCE\s+DETAIL\s+5\d\d [\w ]+: cannot connect/,
      );
      assert.match(frame, /COMMANDS bot-gone \(0\)/);
      // enter: PgUp and PgDn scroll the audit; esc: the services.
      await press(view, keys.enter);
      await frameWith(view, /pgup\/pgdn scroll audit\s+enter commands/);
      await press(view, keys.escape);
      await frameWith(view, /SERVICES/);
    } finally {
      view.unmount();
    }
  });

  it('scrolls the commands that do not fit with PgDn and PgUp', async () => {
    const many = Array.from({ length: 30 }, (_, i) => ({
      name: `cmd${String(i).padStart(2, '0')}`,
      usage: `cmd${i}`,
      description: `command ${i}`,
      changes: false,
    }));
    const one = createMemoryRegistry();
    const standIn = await startStandInBot(one, () => botStatus({ commands: many }), 'bot-many');
    let focus: BotFocus = 'commands';
    const view = render(
      h(BotView, {
        registry: one,
        client,
        events,
        focus,
        onFocus: (f: BotFocus) => (focus = f),
        onBack: () => undefined,
        onQuit: () => undefined,
        height: 20,
      }),
    );
    try {
      let frame = plain(await frameWith(view, /COMMANDS bot-many \(30\)/));
      assert.match(frame, /cmd00[\s\S]*… \d+ more/);
      assert.doesNotMatch(frame, /cmd29/);
      await press(view, ...Array<string>(10).fill(keys.pageDown));
      frame = plain(await frameWith(view, /cmd29/));
      assert.doesNotMatch(frame, /cmd00/);
      await press(view, ...Array<string>(10).fill(keys.pageUp));
      await frameWith(view, /cmd00/);
      await press(view, keys.enter);
      assert.equal(focus, 'audit');
    } finally {
      view.unmount();
      await closeAll(standIn, one);
    }
  });
});

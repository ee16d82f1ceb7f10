// The explorer's MCP screen on a fake terminal (ink-testing-library): `m` on the services list opens
// it; it lists the tools agents see (name, stream kind, scope, description), shows a tool's schemas
// on enter, and the audited tool calls of micro.audit (source mcp only) live, newest first, with
// remote text escaped; without micro mcp it says so.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import { createElement as h } from 'react';
import { createMemoryEvents } from '../../src/platform/events/index.ts';
import type { Events } from '../../src/platform/events/events.ts';
import { createMemoryRegistry } from '../../src/registry/index.ts';
import { createClient, type Client, type Registry } from '../../src/runtime/index.ts';
import { App } from '../../src/ui/tui/App.ts';
import { McpView, type ExplorerMcp } from '../../src/ui/tui/McpView.ts';
import { explorerMcp } from '../../src/ui/tui/mcp-source.ts';
import { auditEvent } from '../helpers/audit-events.ts';
import { closeAll, nameSchema, record } from '../helpers/fixtures.ts';
import { frameWith, keys, press } from '../helpers/ink.ts';
import { controls } from '../helpers/terminal.ts';

process.env.COLUMNS = '160';
process.env.LINES = '40';

// eslint-disable-next-line no-control-regex
const plain = (frame: string): string => frame.replace(/\u001b\[[0-9;]*m/g, '');

describe('micro explore: the MCP screen (fake terminal)', () => {
  let registry: Registry;
  let client: Client;
  let events: Events;
  let mcp: ExplorerMcp & { close(): void };

  before(async () => {
    events = createMemoryEvents();
    registry = createMemoryRegistry();
    client = createClient({ registry, name: 'ops' });
    await registry.register(
      record('greeter', {
        endpoints: [
          {
            name: 'Say.Hello',
            request: nameSchema,
            response: { type: 'object', properties: { msg: { type: 'string' } } },
            metadata: { description: 'Greets someone by name' },
          },
          { name: 'Say.Stream', metadata: { stream: 'server' } },
        ],
      }),
    );
    // The tools micro mcp shows agents, as micro explore reads them.
    mcp = { ...explorerMcp(registry), url: 'http://127.0.0.1:8080/mcp' };
    await events.publish('micro.audit', auditEvent({ ms: 4 }));
    await events.publish(
      'micro.audit',
      auditEvent({
        actor: 'bob\u001b[2J',
        action: 'greeter.Say.Stream',
        result: 'refused',
        code: 403,
        ms: 1,
      }),
    );
    // Another edge's record is not a tool call.
    await events.publish('micro.audit', auditEvent({ source: 'bot', actor: 'carol' }));
  });
  after(() => {
    mcp.close();
    return closeAll(events, client, registry);
  });

  it('lists the tools and the audited calls live, and a tool schemas on enter', async () => {
    const view = render(h(App, { registry, client, events, mcp }));
    try {
      await frameWith(view, /SERVICES/);
      assert.match(view.lastFrame() ?? '', /r routes\s+m mcp/);
      await press(view, 'm');
      let frame = plain(
        await frameWith(view, (f) => /TOOLS \(2\)/.test(f) && /CALLS \(2\)/.test(f)),
      );
      assert.match(frame, /micro explore\s+mcp/);
      assert.match(frame, /http http:\/\/127\.0\.0\.1:8080\/mcp\s+stdio: micro mcp serve/);
      assert.match(
        frame,
        /› greeter\.Say\.Hello\s+-\s+service:greeter:Say\.Hello\s+Greets someone by name/,
      );
      assert.match(frame, /greeter\.Say\.Stream\s+server\s+service:greeter:Say\.Stream\s+Calls/);
      // Newest first; the bot's record is left out; remote text cannot drive the terminal.
      assert.match(
        frame,
        /CALLS \(2\)\s+TIME\s+ACTOR\s+TOOL\s+RESULT\s+CODE\s+MS\s+\S+\s+bob\\u001b\[2J\s+greeter\.Say\.Stream\s+refused\s+403\s+1\s+\S+\s+alice\s+greeter\.Say\.Hello\s+ok\s+200\s+4/,
      );
      assert.doesNotMatch(frame, /carol/);
      assert.deepEqual(controls(frame), [], 'no raw controls');
      assert.match(
        frame,
        /↑↓\/jk move\s+pgup\/pgdn scroll calls\s+enter schemas\s+esc services\s+q quit/,
      );
      // A new call shows at the top, live.
      await events.publish(
        'micro.audit',
        auditEvent({ actor: 'dave', result: 'error', code: 500 }),
      );
      frame = plain(await frameWith(view, /CALLS \(3\)/));
      assert.match(frame, /MS\s+\S+\s+dave\s+greeter\.Say\.Hello\s+error\s+500\s+3/);
      // enter: the chosen tool's schemas; esc: the calls again.
      await press(view, keys.enter);
      frame = plain(await frameWith(view, /SCHEMAS greeter\.Say\.Hello/));
      assert.match(frame, /greeter: Say\.Hello: Greets someone by name/);
      assert.match(frame, /input schema\s+\{\s+"type": "object",\s+"properties": \{\s+"name"/);
      assert.match(frame, /output schema\s+\{\s+"type": "object",\s+"properties": \{\s+"msg"/);
      assert.match(frame, /pgup\/pgdn scroll schemas\s+enter calls\s+esc calls/);
      await press(view, 'j');
      frame = plain(await frameWith(view, /SCHEMAS greeter\.Say\.Stream/));
      assert.match(
        frame,
        /output schema\s+\{\s+"properties": \{\s+"messages": \{\s+"type": "array"/,
      );
      await press(view, keys.escape);
      await frameWith(view, /CALLS \(3\)/);
      await press(view, keys.escape);
      await frameWith(view, /SERVICES/);
    } finally {
      view.unmount();
    }
  });

  it('scrolls the schemas that do not fit with PgDn and PgUp', async () => {
    let schemas = true;
    const view = render(
      h(McpView, {
        mcp,
        events,
        schemas,
        onSchemas: (on: boolean) => (schemas = on),
        onBack: () => undefined,
        onQuit: () => undefined,
        height: 12,
      }),
    );
    try {
      let frame = plain(await frameWith(view, /SCHEMAS greeter\.Say\.Hello/));
      assert.match(frame, /input schema[\s\S]*… \d+ more/);
      assert.doesNotMatch(frame, /output schema/);
      await press(view, keys.pageDown, keys.pageDown, keys.pageDown, keys.pageDown);
      // The end at most: the output schema's last lines, the input schema scrolled away.
      frame = plain(await frameWith(view, /"msg": \{\s+"type": "string"\s+\}\s+\}\s+\}/));
      assert.doesNotMatch(frame, /input schema|more/);
      await press(view, keys.pageUp, keys.pageUp, keys.pageUp, keys.pageUp, keys.pageUp);
      await frameWith(view, /input schema/);
    } finally {
      view.unmount();
    }
  });

  it('says so when the explorer has no micro mcp', async () => {
    const view = render(h(App, { registry, client, events }));
    try {
      await frameWith(view, /SERVICES/);
      await press(view, 'm');
      await frameWith(view, /TOOLS \(0\)[\s\S]*501 this explorer was started without micro mcp/);
    } finally {
      view.unmount();
    }
  });
});

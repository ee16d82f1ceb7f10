// The dashboard's Bot page in a real browser (Debian's chromium) against a dashboard over a registry
// and an events area in process, and a stand-in bot (a real service `bot` answering Bot.Status):
// "Bot" in the nav says how to start a bot while none runs; then shows each bot node with its
// inputs (connected or not, since, detail) and its commands (usage, description, changes, the
// service providing it), a node that does not answer with its error, and the commands the bot ran
// (micro.audit, source bot) newest first and live; remote text stays text. Then the dashboard of
// `micro run`: a bot registered with its control plane, and a command reported to its audit service.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { createMicroAudit } from '../../src/platform/audit/index.ts';
import { createMemoryEvents } from '../../src/platform/events/index.ts';
import type { Events } from '../../src/platform/events/events.ts';
import { createMemoryRegistry } from '../../src/registry/index.ts';
import { createClient, type Client, type Registry, type Service } from '../../src/runtime/index.ts';
import { startWeb, type Web } from '../../src/ui/web/index.ts';
import { auditEvent } from '../helpers/audit-events.ts';
import { botAuditEvent, botStatus, startStandInBot } from '../helpers/bot-status.ts';
import { launchChromium, startPlatform } from '../helpers/browser.ts';
import { stopAll } from '../helpers/proc.ts';
import { closedAddress } from '../helpers/cli.ts';
import { closeAll, record } from '../helpers/fixtures.ts';
import { requestAs } from '../helpers/raw-http.ts';

describe('the dashboard: Bot page', () => {
  const work = mkdtempSync(join(tmpdir(), 'micro-dashboard-bot-'));
  let registry: Registry;
  let client: Client;
  let events: Events;
  let web: Web;
  let bot: Service | undefined;
  let base = '';
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const hostile = '<img src=x onerror="window.owned=1">';

  before(async () => {
    registry = createMemoryRegistry();
    client = createClient({ registry, name: 'ops' });
    events = createMemoryEvents();
    web = await startWeb({ address: '127.0.0.1:0', registry, client, events });
    base = `http://${web.address}`;
    ({ context, page } = await launchChromium(work));
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await closeAll(context, bot, web, client, events, registry);
    rmSync(work, { recursive: true, force: true });
  });

  it('says how to start a bot while none runs', async () => {
    await page.goto(`${base}/`);
    await page.locator('nav a', { hasText: 'Bot' }).click();
    assert.equal(new URL(page.url()).hash, '#/bot');
    const none = page.locator('.bot-none');
    await none.waitFor();
    assert.match((await none.textContent()) ?? '', /micro bot --inputs stdin.*docs\/bot\.md/);
    assert.equal(await page.locator('h1 .count').textContent(), '0 bots');
    assert.equal(await page.locator('nav a.active').textContent(), 'Bot');
    assert.match(
      (await page.locator('.bot-audit-head ~ .empty').textContent()) ?? '',
      /No commands yet/,
    );
  });

  it('shows each bot node with its inputs and commands; remote text stays text', async () => {
    bot = await startStandInBot(
      registry,
      () =>
        botStatus({
          commands: [
            ...botStatus().commands,
            {
              name: hostile,
              usage: hostile,
              description: hostile,
              changes: false,
              service: hostile,
            },
          ],
        }),
      'bot-1',
    );
    // A node registered by a bot that is gone: it shows with why it did not answer.
    await registry.register(record('bot', { node: 'bot-gone', address: await closedAddress() }));
    const node = page.locator('.bot-node[data-node="bot-1"]');
    // The page reads the status again every few seconds: the bot shows without a reload.
    await node.locator('table.bot-commands tbody tr').nth(3).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('h1 .count').textContent(), '2 bots');
    assert.match((await node.locator('h2').textContent()) ?? '', /127\.0\.0\.1:\d+ · 1\.0\.0/);
    assert.match(
      (await node.locator('.bot-meta').textContent()) ?? '',
      /Started \d\d:\d\d:\d\d\.000 · 7 commands handled, 2 failed/,
    );
    const inputs = node.locator('table.bot-inputs tbody tr');
    const cells = async (row: ReturnType<Page['locator']>) => row.locator('td').allTextContents();
    const [xmpp, slack] = [await cells(inputs.nth(0)), await cells(inputs.nth(1))];
    assert.deepEqual(
      [xmpp[0], xmpp[1], xmpp[3]],
      ['xmpp', 'connected', 'xmpp://127.0.0.1:5222 as bot@localhost'],
    );
    assert.deepEqual(
      [slack[0], slack[1], slack[3]],
      ['slack', 'disconnected', 'reconnecting: ECONNREFUSED'],
    );
    assert.match(xmpp[2] ?? '', /^\d\d:\d\d:\d\d\.000$/);
    const commands = node.locator('table.bot-commands tbody tr');
    assert.deepEqual(await cells(commands.nth(0)), [
      'help',
      'help',
      'Lists the commands',
      '—',
      'built-in',
    ]);
    assert.deepEqual(await cells(commands.nth(1)), [
      'call',
      'call <service> <endpoint> [json]',
      'Calls an endpoint',
      'changes',
      'built-in',
    ]);
    assert.deepEqual(await cells(commands.nth(2)), [
      'deploy',
      'deploy <service> <version>',
      'Deploys a version',
      'changes',
      'deployer',
    ]);
    assert.deepEqual(await cells(commands.nth(3)), [hostile, hostile, hostile, '—', hostile]);
    assert.equal(await page.locator('.bot-node img').count(), 0);
    assert.equal(await page.evaluate('window.owned'), undefined);
    // The node that is gone: its error, and no tables.
    const gone = page.locator('.bot-node[data-node="bot-gone"]');
    assert.match((await gone.locator('.problem').textContent()) ?? '', /^5\d\d /);
    assert.equal(await gone.locator('table').count(), 0);
    assert.equal(await page.locator('.bot-none').count(), 0);
    assert.deepEqual(pageErrors, []);
  });

  it('shows the commands the bot ran, newest first and live', async () => {
    await events.publish('micro.audit', botAuditEvent({ ms: 4 }));
    await events.publish(
      'micro.audit',
      botAuditEvent({
        actor: hostile,
        action: 'deploy',
        target: hostile,
        result: 'refused',
        code: 403,
        ms: 1,
      }),
    );
    await events.publish('micro.audit', auditEvent({ actor: 'carol' }));
    // A fresh load: a hash change alone would let the last page's rows answer the first wait.
    await page.goto('about:blank');
    await page.goto(`${base}/#/bot`);
    const rows = page.locator('table.bot-audit tbody tr');
    await rows.nth(1).waitFor();
    const cells = async (i: number) => (await rows.nth(i).locator('td').allTextContents()).slice(1);
    assert.deepEqual(await cells(0), [hostile, 'deploy', hostile, 'refused', '403', '1']);
    assert.deepEqual(await cells(1), [
      'xmpp:alice@localhost',
      'call',
      'service:greeter:Say.Hello',
      'ok',
      '200',
      '4',
    ]);
    assert.equal(await rows.count(), 2, 'an MCP tool call is no bot command');
    assert.equal(await page.locator('table.bot-audit img').count(), 0);
    assert.equal(await page.evaluate('window.owned'), undefined);
    // A new command shows on top as it happens.
    await events.publish(
      'micro.audit',
      botAuditEvent({ actor: 'slack:U0DAVE', result: 'error', code: 500, detail: 'boom' }),
    );
    await page.locator('table.bot-audit tbody tr:first-child', { hasText: 'U0DAVE' }).waitFor();
    assert.deepEqual(await cells(0), [
      'slack:U0DAVE',
      'call',
      'service:greeter:Say.Hello',
      'error',
      '500',
      '3',
    ]);
    assert.equal(await rows.nth(0).getAttribute('data-result'), 'error');
    assert.equal(await page.locator('.bot-audit-head .count').textContent(), '3');
    assert.deepEqual(pageErrors, []);
  });

  it('answers the status route only for its own host, and refuses unknown fields', async () => {
    const status = await fetch(`${base}/_/api/bot/status`);
    assert.equal(status.status, 200);
    const body = (await status.json()) as { bots: { node: string }[]; total: number };
    assert.equal(body.total, 2);
    const other = await requestAs(web.address, {
      path: '/_/api/bot/status',
      headers: { host: 'rebound.example' },
    });
    assert.equal(other.status, 421, 'a rebound DNS name cannot read the bots');
    const odd = await fetch(`${base}/_/api/bot/status?node=x`);
    assert.equal(odd.status, 400);
  });
});

describe('the dashboard of micro run: Bot page', () => {
  const work = mkdtempSync(join(tmpdir(), 'micro-dashboard-bot-run-'));
  let base = '';
  let registry: Registry;
  let bot: Service | undefined;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    ({ base, registry } = await startPlatform(work));
    bot = await startStandInBot(registry, () => botStatus(), 'bot-run');
    ({ context, page } = await launchChromium(work));
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await closeAll(context, bot, registry, { close: stopAll });
    rmSync(work, { recursive: true, force: true });
  });

  it('shows a running bot and the commands it reports to the audit service', async () => {
    await page.goto(`${base}/#/bot`);
    const node = page.locator('.bot-node[data-node="bot-run"]');
    await node.locator('table.bot-commands tbody tr').nth(2).waitFor({ timeout: 10_000 });
    assert.deepEqual(await node.locator('table.bot-inputs td.name').allTextContents(), [
      'xmpp',
      'slack',
    ]);
    // A command the bot reports to the control plane's audit service shows as it happens.
    const audit = createMicroAudit({ client: bot!.client });
    const {
      reporter: _r,
      summary: _s,
      ...command
    } = botAuditEvent({ actor: 'xmpp:erin@localhost' });
    audit.report(command);
    await audit.close();
    const row = page.locator('table.bot-audit tbody tr', { hasText: 'erin' });
    await row.waitFor();
    assert.deepEqual((await row.locator('td').allTextContents()).slice(1), [
      'xmpp:erin@localhost',
      'call',
      'service:greeter:Say.Hello',
      'ok',
      '200',
      '3',
    ]);
    assert.deepEqual(pageErrors, []);
  });
});

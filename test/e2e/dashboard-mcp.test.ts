// The dashboard's MCP page in a real browser (Debian's chromium) against a dashboard over a registry
// and an events area in process: "MCP" in the nav shows the tools agents see (name, stream kind,
// description, scope), how an agent connects (the gateway's /mcp, the stdio entry), a tool's
// schemas on click; the audited tool calls (micro.audit, source mcp) newest first and live; remote
// text stays text. Then the dashboard of `micro run`: the tools of running services, the gateway's
// /mcp, and a call reported to the control plane's audit service.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { createMicroAudit } from '../../src/platform/audit/index.ts';
import { createMemoryEvents } from '../../src/platform/events/index.ts';
import type { Events } from '../../src/platform/events/events.ts';
import { buildTools } from '../../src/proxy/mcp/tools.ts';
import { createMemoryRegistry } from '../../src/registry/index.ts';
import { createClient, type Client, type Registry, type Service } from '../../src/runtime/index.ts';
import { startWeb, type Web } from '../../src/ui/web/index.ts';
import { auditEvent, auditRecord } from '../helpers/audit-events.ts';
import { launchChromium, startPlatform } from '../helpers/browser.ts';
import {
  closeAll,
  greeterService,
  nameSchema,
  quietService,
  record,
  streamHandlers,
} from '../helpers/fixtures.ts';
import { freePort } from '../helpers/net.ts';
import { stopAll } from '../helpers/proc.ts';

describe('the dashboard: MCP page', () => {
  const work = mkdtempSync(join(tmpdir(), 'micro-dashboard-mcp-'));
  let registry: Registry;
  let client: Client;
  let events: Events;
  let web: Web;
  let base = '';
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const hostile = '<img src=x onerror="window.owned=1">';

  before(async () => {
    registry = createMemoryRegistry();
    client = createClient({ registry, name: 'ops' });
    events = createMemoryEvents();
    await registry.register(
      record('greeter', {
        endpoints: [
          { name: 'Say.Hello', request: nameSchema, metadata: { description: 'Greets someone' } },
          { name: 'Say.Stream', metadata: { stream: 'server', description: hostile } },
        ],
      }),
    );
    web = await startWeb({
      address: '127.0.0.1:0',
      registry,
      client,
      events,
      mcp: { tools: (services) => buildTools(services).tools, url: 'http://127.0.0.1:8080/mcp' },
    });
    base = `http://${web.address}`;
    ({ context, page } = await launchChromium(work));
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await closeAll(context, web, client, events, registry);
    rmSync(work, { recursive: true, force: true });
  });

  it('lists the tools, how to connect, and a tool schemas on click', async () => {
    await page.goto(`${base}/`);
    await page.locator('nav a', { hasText: 'MCP' }).click();
    assert.equal(new URL(page.url()).hash, '#/mcp');
    const rows = page.locator('.mcp-tool-list tr.tool');
    await rows.nth(1).waitFor();
    assert.equal(await page.locator('h1 .count').textContent(), '2 tools');
    assert.deepEqual(await rows.nth(0).locator('td').allTextContents(), [
      'greeter.Say.Hello',
      '—',
      'Greets someone',
      'service:greeter:Say.Hello',
    ]);
    // Remote text is text: the description is shown as it is, and nothing ran.
    assert.deepEqual(await rows.nth(1).locator('td').allTextContents(), [
      'greeter.Say.Stream',
      'server',
      hostile,
      'service:greeter:Say.Stream',
    ]);
    assert.equal(await page.locator('.mcp-tool-list img').count(), 0);
    assert.equal(await page.evaluate('window.owned'), undefined);
    assert.equal(await page.locator('.mcp-url').textContent(), 'http://127.0.0.1:8080/mcp');
    assert.equal(
      await page.locator('.mcp-stdio').textContent(),
      '{"command":"micro","args":["mcp","serve"]}',
    );
    // A click opens the tool's schemas under it, and names it in the address; again, closes them.
    await rows.nth(0).locator('a').click();
    const detail = page.locator('tr.mcp-detail[data-tool="greeter.Say.Hello"]');
    await detail.locator('.mcp-input pre').waitFor();
    assert.deepEqual(JSON.parse((await detail.locator('.mcp-input pre').textContent()) ?? ''), {
      ...nameSchema,
      type: 'object',
    });
    assert.match((await detail.locator('.mcp-output').textContent()) ?? '', /none/);
    assert.equal(new URL(page.url()).hash, '#/mcp/greeter.Say.Hello');
    await rows.nth(0).locator('a').click();
    await detail.waitFor({ state: 'detached' });
    assert.equal(new URL(page.url()).hash, '#/mcp');
    // Opened by its address: the stream's output schema.
    await page.goto(`${base}/#/mcp/greeter.Say.Stream`);
    const stream = page.locator('tr.mcp-detail[data-tool="greeter.Say.Stream"] .mcp-output pre');
    await stream.waitFor();
    assert.match((await stream.textContent()) ?? '', /"messages"/);
    // The filter narrows the list.
    await page.locator('input[aria-label="Filter tools"]').fill('greets');
    await page.locator('.mcp-tool-list tr.tool').nth(1).waitFor({ state: 'detached' });
    assert.equal(await page.locator('h1 .count').textContent(), '1 tool');
    assert.deepEqual(pageErrors, []);
  });

  it('shows the audited tool calls, newest first and live', async () => {
    await events.publish('micro.audit', auditEvent({ ms: 4 }));
    await events.publish(
      'micro.audit',
      auditEvent({ actor: hostile, result: 'refused', code: 403, ms: 1 }),
    );
    await events.publish('micro.audit', auditEvent({ source: 'bot', actor: 'carol' }));
    // A fresh load: a hash change alone would let the last test's page (whose live stream drew
    // these rows too) answer the first wait, and then be replaced under the reads.
    await page.goto('about:blank');
    await page.goto(`${base}/#/mcp`);
    const rows = page.locator('table.mcp-audit tbody tr');
    await rows.nth(1).waitFor();
    const cells = async (i: number) => (await rows.nth(i).locator('td').allTextContents()).slice(1);
    assert.deepEqual(await cells(0), [hostile, 'greeter.Say.Hello', 'refused', '403', '1']);
    assert.deepEqual(await cells(1), ['alice', 'greeter.Say.Hello', 'ok', '200', '4']);
    assert.equal(await rows.count(), 2, "the bot's record is no tool call");
    assert.equal(await page.locator('table.mcp-audit img').count(), 0);
    // A new call shows on top as it happens.
    await events.publish(
      'micro.audit',
      auditEvent({ actor: 'dave', result: 'error', code: 500, detail: 'boom' }),
    );
    await page.locator('table.mcp-audit tbody tr:first-child', { hasText: 'dave' }).waitFor();
    assert.deepEqual(await cells(0), ['dave', 'greeter.Say.Hello', 'error', '500', '3']);
    assert.equal(await rows.nth(0).getAttribute('data-result'), 'error');
    assert.equal(await page.locator('.mcp-audit-head .count').textContent(), '3');
    assert.deepEqual(pageErrors, []);
  });
});

describe('the dashboard of micro run: MCP page', () => {
  const work = mkdtempSync(join(tmpdir(), 'micro-dashboard-mcp-run-'));
  let base = '';
  let api = '';
  let registry: Registry;
  let context: BrowserContext;
  let page: Page;
  const services: Service[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    api = `127.0.0.1:${await freePort()}`;
    ({ base, registry } = await startPlatform(work, {
      MICRO_API_ADDRESS: api,
      MICRO_MCP_DENY: 'counter.Stream.Sum',
    }));
    const greeter = greeterService(registry);
    const counter = quietService({ name: 'counter', registry, address: '127.0.0.1:0' });
    counter.handle('Stream', streamHandlers());
    for (const s of [greeter, counter]) {
      await s.start();
      services.push(s);
    }
    ({ context, page } = await launchChromium(work));
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    for (const s of services.reverse()) await s.stop();
    await closeAll(context, registry, { close: stopAll });
    rmSync(work, { recursive: true, force: true });
  });

  it("lists the tools agents see, the gateway's /mcp and the calls", async () => {
    // Not the platform's own services' endpoints, nor what MICRO_MCP_DENY hides.
    await page.goto(`${base}/#/mcp`);
    const rows = page.locator('.mcp-tool-list tr.tool');
    await page.locator('tr.tool[data-tool="greeter.Say.Hello"]').waitFor();
    await page.locator('tr.tool[data-tool="counter.Stream.Count"]').waitFor();
    assert.deepEqual(await rows.locator('td.name').allTextContents(), [
      'counter.Stream.Count',
      'counter.Stream.Shout',
      'greeter.Say.Hello',
    ]);
    assert.deepEqual(
      await page.locator('tr.tool[data-tool^="counter"] td:nth-child(2)').allTextContents(),
      ['server', 'bidi'],
    );
    assert.equal(await page.locator('.mcp-url').textContent(), `http://${api}/mcp`);
    // A call an MCP server reports to the control plane's audit service shows as it happens.
    const audit = createMicroAudit({ client: services[0]!.client });
    audit.report(auditRecord({ actor: 'erin', result: 'error', code: 500, ms: 7 }));
    await audit.close();
    const call = page.locator('table.mcp-audit tbody tr', { hasText: 'erin' });
    await call.waitFor();
    assert.deepEqual((await call.locator('td').allTextContents()).slice(1), [
      'erin',
      'greeter.Say.Hello',
      'error',
      '500',
      '7',
    ]);
    assert.deepEqual(pageErrors, []);
  });
});

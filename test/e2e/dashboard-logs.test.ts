// The dashboard's Logs page in a real browser (Debian's chromium) against `micro run`: lines
// written to the control plane's logs service, as any service's shipper would, show oldest first
// with their level, service and a link to their trace; the level filter narrows them; under live
// tail a new line appears at the bottom as it is stored, and one the filter excludes does not.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { createMicroLogs } from '../../src/platform/logs/index.ts';
import type { Logs } from '../../src/platform/logs/logs.ts';
import { createClient, type Client, type Registry } from '../../src/runtime/index.ts';
import { launchChromium, startPlatform } from '../helpers/browser.ts';
import { closeAll } from '../helpers/fixtures.ts';
import { stopAll } from '../helpers/proc.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('the dashboard: logs', () => {
  const work = mkdtempSync(join(tmpdir(), 'micro-dashboard-logs-'));
  let base = '';
  let registry: Registry;
  let client: Client;
  let logs: Logs;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    ({ base, registry } = await startPlatform(work));
    client = createClient({ registry, name: 'ops' });
    logs = createMicroLogs({ client });
    ({ context, page } = await launchChromium(work));
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await closeAll(context, logs, client, registry, { close: stopAll });
    rmSync(work, { recursive: true, force: true });
  });

  /** The page's lines of the services this test writes, as `LEVEL service msg`. */
  const shown = async (): Promise<string[]> => {
    const rows = page.locator(
      'ol.logs li[data-service="shop"], ol.logs li[data-service="billing"]',
    );
    const lines: string[] = [];
    for (let i = 0, n = await rows.count(); i < n; i++) {
      const row = rows.nth(i);
      const [level, service] = await Promise.all([
        row.getAttribute('data-level'),
        row.getAttribute('data-service'),
      ]);
      lines.push(`${level?.toUpperCase()} ${service} ${await row.locator('.text').textContent()}`);
    }
    return lines;
  };

  it('shows lines, filters them by level, and appends new ones under live tail', async () => {
    const t = Date.now();
    await logs.write([
      {
        time: t - 3000,
        service: 'shop',
        node: 'shop-1',
        level: 'info',
        msg: 'order placed',
        traceId: TRACE,
        fields: { order: 7 },
      },
      { time: t - 2000, service: 'billing', level: 'warn', msg: 'card retry' },
      {
        time: t - 1000,
        service: 'shop',
        level: 'error',
        msg: '<img src=x onerror=alert(1)> failed',
      },
    ]);

    await page.goto(`${base}/`);
    await page.locator('nav a', { hasText: 'Logs' }).click();
    await page.locator('ol.logs li', { hasText: 'failed' }).waitFor();
    assert.deepEqual(await shown(), [
      'INFO shop order placed',
      'WARN billing card retry',
      'ERROR shop <img src=x onerror=alert(1)> failed',
    ]);
    // Data is text, never markup; the trace id links to the trace page.
    assert.equal(await page.locator('ol.logs img').count(), 0);
    const trace = page.locator('ol.logs li', { hasText: 'order placed' }).locator('a.trace');
    assert.equal(await trace.getAttribute('href'), `#/trace/${TRACE}`);
    assert.equal(await trace.textContent(), TRACE.slice(0, 8));
    assert.match(
      (await page.locator('ol.logs li', { hasText: 'order placed' }).textContent()) ?? '',
      /order=7/,
    );
    // The services with lines are offered as a filter.
    await page
      .locator('select[aria-label="Service"] option[value="billing"]')
      .waitFor({ state: 'attached' });

    await page.locator('select[aria-label="Level"]').selectOption('warn');
    await page.locator('ol.logs li', { hasText: 'order placed' }).waitFor({ state: 'detached' });
    assert.deepEqual(await shown(), [
      'WARN billing card retry',
      'ERROR shop <img src=x onerror=alert(1)> failed',
    ]);

    // Live tail (on by default): a new warning appears at the bottom; an info line does not.
    await logs.write([
      { time: Date.now(), service: 'shop', level: 'info', msg: 'quiet line' },
      { time: Date.now(), service: 'billing', level: 'error', msg: 'card declined' },
    ]);
    await page.locator('ol.logs li', { hasText: 'card declined' }).waitFor();
    assert.deepEqual((await shown()).at(-1), 'ERROR billing card declined');
    assert.equal(await page.locator('ol.logs li', { hasText: 'quiet line' }).count(), 0);

    // A service chosen: only its lines.
    await page.locator('select[aria-label="Service"]').selectOption('billing');
    await page.locator('ol.logs li[data-service="shop"]').first().waitFor({ state: 'detached' });
    assert.deepEqual(await shown(), ['WARN billing card retry', 'ERROR billing card declined']);
    assert.deepEqual(pageErrors, []);
  });

  it('answers a bad query with a 400 naming the field, for a read and for a live tail', async () => {
    const cases: [string, RegExp][] = [
      ['logs/read?level=loud', /level must be one of trace, debug/],
      ['logs/read?trace=%3Cscript%3E', /trace must be a trace id of 32 hex digits/],
      ['logs/read?limit=5000', /limit must be a whole number from 1 to 1000/],
      ['logs/read?level=warn&level=error', /level must be given once/],
      ['logs/read?bogus=1', /bogus/],
      ['logs/stream?level=loud', /level must be one of/],
      ['logs/stream?after=-1', /after must be a whole number/],
    ];
    for (const [path, detail] of cases) {
      const res = await fetch(`${base}/_/api/${path}`);
      assert.equal(res.status, 400, path);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/, path);
      const body = (await res.json()) as { error: { detail: string } };
      assert.match(body.error.detail, detail, path);
    }
  });
});

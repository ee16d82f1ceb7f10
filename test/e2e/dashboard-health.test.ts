// The dashboard's Health page in a real browser (Debian's chromium) against `micro run` whose
// monitor probes every 200 ms: each service's nodes with their status colour, the degraded
// marker, a failing check's detail, an overview per service and the recent changes, kept current.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type { Registry, Service } from '../../src/runtime/index.ts';
import { launchChromium, startPlatform } from '../helpers/browser.ts';
import { closeAll, quietService } from '../helpers/fixtures.ts';
import { stopAll } from '../helpers/proc.ts';

describe('the dashboard: health overview', () => {
  const work = mkdtempSync(join(tmpdir(), 'micro-dashboard-health-'));
  let base = '';
  let registry: Registry;
  let context: BrowserContext;
  let page: Page;
  const services: Service[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    ({ base, registry } = await startPlatform(work, { MICRO_MONITOR_INTERVAL: '200' }));
    ({ context, page } = await launchChromium(work));
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await closeAll(...services, context, registry, { close: stopAll });
    rmSync(work, { recursive: true, force: true });
  });

  it('shows every node as the monitor sees it, and follows a node going down and up', async () => {
    let broken = true;
    const inventory = quietService({ name: 'inventory', version: '1.0.0', registry }).healthCheck(
      'db',
      () => {
        if (broken) throw new Error('disk full');
        return 'connected';
      },
      { interval: 50 },
    );
    const billing = quietService({ name: 'billing', version: '2.0.0', registry }).healthCheck(
      'cache',
      () => Promise.reject(new Error('cache cold')),
      { critical: false },
    );
    services.push(inventory, billing);
    await inventory.start();
    await billing.start();
    const bad = `tr[data-node="${inventory.server.id}"]`;
    const slow = `tr[data-node="${billing.server.id}"]`;

    await page.goto(`${base}/#/health`);
    await page.locator(`#health-overview a[data-service="inventory"]`).waitFor();
    await page.locator(`${bad}[data-status="unhealthy"]`).waitFor();
    const row = page.locator(`.grid.health ${bad}`);
    assert.match((await row.textContent()) ?? '', /db: disk full/);
    assert.equal(await row.locator('.badge').first().getAttribute('class'), 'badge bad', 'red');
    const overview = page.locator('#health-overview a[data-service="inventory"]');
    assert.equal(await overview.textContent(), 'inventory 0/1');
    assert.match((await overview.getAttribute('class')) ?? '', /\bbad\b/);

    await page.locator(`.grid.health ${slow}[data-status="healthy"]`).waitFor();
    const degraded = page.locator(`.grid.health ${slow}`);
    assert.equal(await degraded.locator('.badge.degraded').textContent(), 'degraded');
    assert.match((await degraded.textContent()) ?? '', /cache \(non-critical\): cache cold/);
    assert.match(
      (await page.locator('#health-overview a[data-service="billing"]').getAttribute('class')) ??
        '',
      /\bwarn\b/,
    );
    assert.match(
      (await page.locator('#health-overview a[data-service="registry"]').getAttribute('class')) ??
        '',
      /\bgood\b/,
      'the control plane itself',
    );
    assert.match(
      (await page.locator(`#health-changes ${bad}`).first().textContent()) ?? '',
      /unknown → unhealthy/,
    );

    // Fixed: the page follows without a reload.
    broken = false;
    await page.locator(`.grid.health ${bad}[data-status="healthy"]`).waitFor();
    assert.match(
      (await page.locator(`#health-changes ${bad}`).first().textContent()) ?? '',
      /unhealthy → healthy/,
    );
    assert.match((await page.locator('h1 .count').textContent()) ?? '', /^\d+ of \d+ healthy$/);
    assert.deepEqual(pageErrors, []);
  });
});

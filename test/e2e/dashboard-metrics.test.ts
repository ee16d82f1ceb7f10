// The dashboard's Metrics page in a real browser (Debian's chromium) against `micro run`, whose
// metrics service reads two real services every 200 ms while one calls the other: each service's
// endpoints show as rows with a non-zero rate, latency and an SVG sparkline, refreshed as it goes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { createService, type PlatformService } from '../../src/platform/service.ts';
import type { MetricsReport } from '../../src/platform/metrics/metrics.ts';
import { endpoint, type Registry } from '../../src/runtime/index.ts';
import { launchChromium, startPlatform } from '../helpers/browser.ts';
import { closeAll, nameSchema, quiet } from '../helpers/fixtures.ts';
import { stopAll } from '../helpers/proc.ts';

describe('the dashboard: metrics', () => {
  const work = mkdtempSync(join(tmpdir(), 'micro-dashboard-metrics-'));
  let base = '';
  let registry: Registry;
  let context: BrowserContext;
  let page: Page;
  const services: PlatformService[] = [];
  const pageErrors: string[] = [];

  const start = async (name: string, build: (s: PlatformService) => void) => {
    const s = createService({
      name,
      version: '1.0.0',
      registry,
      handleSignals: false,
      logger: quiet,
    });
    build(s);
    await s.start();
    services.push(s);
  };

  before(async () => {
    ({ base, registry } = await startPlatform(work, { MICRO_METRICS_INTERVAL: '200' }));
    await start('shop', (s) =>
      s.handle('Shop', {
        Buy: endpoint({ request: nameSchema }, async (req: { name: string }, ctx) =>
          s.client.call('stock', 'Stock.Take', req, { parent: ctx }),
        ),
      }),
    );
    await start('stock', (s) =>
      s.handle('Stock', {
        Take: endpoint({ request: nameSchema }, async (req: { name: string }) => ({
          took: req.name,
        })),
      }),
    );
    ({ context, page } = await launchChromium(work));
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    for (const s of services.reverse()) await s.stop();
    await closeAll(context, registry, { close: stopAll });
    rmSync(work, { recursive: true, force: true });
  });

  it('shows each endpoint with its rate, latency and a sparkline', async () => {
    const shop = services[0]!;
    // Traffic until the metrics service has a point with requests for both.
    for (let i = 0, seen = false; !seen; i++) {
      assert.ok(i < 400, 'the metrics service never showed the calls');
      await Promise.all(
        Array.from({ length: 5 }, (_, j) =>
          shop.client.call('shop', 'Shop.Buy', { name: `t${j}` }),
        ),
      );
      const report = await shop.client.call<MetricsReport>('metrics', 'Metrics.Query', {});
      seen = ['Shop.Buy', 'Stock.Take'].every(
        (e) => (report.endpoints.find((x) => x.endpoint === e)?.points.at(-1)?.rate ?? 0) > 0,
      );
    }
    await page.goto(`${base}/`);
    await page.locator('nav a', { hasText: 'Metrics' }).click();
    assert.equal(new URL(page.url()).hash, '#/metrics');
    for (const [service, name] of [
      ['shop', 'Shop.Buy'],
      ['stock', 'Stock.Take'],
    ] as const) {
      const row = page.locator(`section[data-service="${service}"] tr[data-endpoint="${name}"]`);
      await row.waitFor();
      const cells = await row.locator('td').allTextContents();
      assert.equal(cells[0], name);
      assert.equal(cells[1], 'call');
      assert.ok(Number(cells[2]) > 0, `a rate: ${cells.join(' | ')}`);
      assert.match(cells[4] ?? '', /^[\d.]+ m?s$/);
      assert.match(cells[5] ?? '', /^[\d.]+ m?s$/);
      const line = row.locator('svg.spark polyline.spark-rate');
      await line.waitFor();
      const points = ((await line.getAttribute('points')) ?? '').split(' ');
      assert.ok(points.length >= 2, 'a line of several points');
    }
    // The page links each service, and a service of its own shows only its endpoints.
    await page.goto(`${base}/#/metrics/stock`);
    await page.locator('section[data-service="stock"] tr[data-endpoint="Stock.Take"]').waitFor();
    assert.equal(await page.locator('section[data-service="shop"]').count(), 0);
    assert.deepEqual(pageErrors, []);
  });
});

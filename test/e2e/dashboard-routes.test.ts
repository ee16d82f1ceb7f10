// The dashboard's Routes page and the circuits on its Metrics page, in a real browser (Debian's
// chromium) against `micro run`: a traffic rule set in the control plane's config shows its routes,
// matches, weight bars, stickiness and mirror; a caller whose breaker opened the circuit of a
// failing node shows it as open, and its closed circuits on demand.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type { MetricsReport } from '../../src/platform/metrics/metrics.ts';
import { routesFromEnv } from '../../src/platform/routing/index.ts';
import type { Routes } from '../../src/platform/routing/routing.ts';
import { createService, type PlatformService } from '../../src/platform/service.ts';
import type { Registry } from '../../src/runtime/index.ts';
import type { ResiliencyPolicy } from '../../src/runtime/resilience/policy.ts';
import { launchChromium, startPlatform } from '../helpers/browser.ts';
import { closeAll, quiet } from '../helpers/fixtures.ts';
import { stopAll } from '../helpers/proc.ts';

describe('the dashboard: routes and circuits', () => {
  const work = mkdtempSync(join(tmpdir(), 'micro-dashboard-routes-'));
  let base = '';
  let registry: Registry;
  let context: BrowserContext;
  let page: Page;
  let routes: Routes;
  const services: PlatformService[] = [];
  const pageErrors: string[] = [];

  const start = async (
    name: string,
    build: (s: PlatformService) => void,
    policy?: ResiliencyPolicy,
  ) => {
    const s = createService({
      name,
      version: '1.0.0',
      registry,
      handleSignals: false,
      logger: quiet,
      ...(policy && { policy }),
    });
    build(s);
    await s.start();
    services.push(s);
    return s;
  };

  before(async () => {
    ({ base, registry } = await startPlatform(work, { MICRO_METRICS_INTERVAL: '200' }));
    ({ context, page } = await launchChromium(work));
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await routes?.close();
    for (const s of services.reverse()) await s.stop();
    await closeAll(context, registry, { close: stopAll });
    rmSync(work, { recursive: true, force: true });
  });

  it("shows each service's rule: matches, weight bars, stickiness and mirror", async () => {
    const admin = await start('admin', () => undefined);
    routes = routesFromEnv({}, { client: admin.client, author: 'test' });
    await routes.set({
      service: 'greeter',
      routes: [
        { name: 'beta', match: { metadata: { 'x-user': 'ann' } }, to: [{ version: '2.0.0' }] },
        {
          name: 'canary',
          match: { endpoint: 'Say.*' },
          to: [
            { version: '1.0.0', weight: 90 },
            { version: '2.0.0', weight: 10 },
          ],
          sticky: 'x-user-id',
          mirror: { version: '3.0.0', percent: 5 },
        },
      ],
    });
    await page.goto(`${base}/`);
    await page.locator('nav a', { hasText: 'Routes' }).click();
    assert.equal(new URL(page.url()).hash, '#/routes');
    const rule = page.locator('section.route-rule[data-service="greeter"]');
    await rule.waitFor();
    assert.match((await rule.locator('h2').textContent()) ?? '', /^greeter changed by test /);
    const rows = rule.locator('tbody tr');
    assert.equal(await rows.count(), 2);
    const beta = await rows.nth(0).locator('td').allTextContents();
    assert.deepEqual(beta.slice(0, 3), ['1', 'beta', 'x-user=ann']);
    assert.match(beta[3] ?? '', /^2\.0\.0100%$/);
    assert.deepEqual(beta.slice(4), ['—', '—']);
    const canary = await rows.nth(1).locator('td').allTextContents();
    assert.deepEqual(canary.slice(0, 3), ['2', 'canary', 'Say.*']);
    assert.deepEqual(canary.slice(4), ['x-user-id', '5% to 3.0.0']);
    const weights = rows.nth(1).locator('.weight');
    assert.deepEqual(await weights.locator('.weight-share').allTextContents(), ['90%', '10%']);
    // The bars are as wide as the shares.
    const shares: number[] = [];
    for (let i = 0; i < 2; i++) {
      const fill = await weights.nth(i).locator('.weight-fill').boundingBox();
      const bar = await weights.nth(i).locator('.weight-bar').boundingBox();
      shares.push(Math.round(((fill?.width ?? 0) / (bar?.width ?? 1)) * 100));
    }
    assert.deepEqual(shares, [90, 10]);
    // Removed: the page says there is none, on its next refresh.
    await routes.delete('greeter');
    await page.locator('p.empty', { hasText: 'No traffic rules' }).waitFor();
    assert.deepEqual(pageErrors, []);
  });

  it('shows an open circuit on the Metrics page, and closed ones on demand', async () => {
    const flaky = await start('flaky', (s) =>
      s.handle('Flaky', {
        Call: () => {
          throw new Error('always fails');
        },
      }),
    );
    const steady = await start('steady', (s) => s.handle('Steady', { Call: () => ({ ok: true }) }));
    const caller = await start('caller', () => undefined, {
      targets: { flaky: { retries: 0, breaker: { failures: 2, openFor: 600_000 } } },
    });
    await caller.client.call('steady', 'Steady.Call', {});
    for (let i = 0; i < 3; i++) await assert.rejects(caller.client.call('flaky', 'Flaky.Call', {}));
    for (let i = 0, seen = false; !seen; i++) {
      assert.ok(i < 200, 'the metrics service never showed the open circuit');
      const report = await steady.client.call<MetricsReport>('metrics', 'Metrics.Query', {
        service: 'caller',
      });
      seen = report.circuits?.some((n) => n.circuits.some((c) => c.state === 'open')) === true;
      if (!seen) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await page.goto(`${base}/#/metrics`);
    const open = page.locator(
      `.circuits tr[data-caller="${caller.server.id}"][data-target="flaky"][data-node="${flaky.server.id}"]`,
    );
    await open.waitFor();
    const cells = await open.locator('td').allTextContents();
    assert.deepEqual(cells.slice(0, 4), [caller.server.id, 'flaky', flaky.server.id, 'open']);
    assert.ok(Number(cells[4]) >= 2, cells.join(' | '));
    assert.match(cells[5] ?? '', / ago$/);
    assert.match(cells[6] ?? '', /^in \d+ min$/);
    const closed = page.locator(
      `.circuits tr[data-caller="${caller.server.id}"][data-target="steady"]`,
    );
    assert.equal(await closed.count(), 0);
    await page.locator('#circuits-all').check();
    await closed.waitFor();
    assert.equal(await closed.getAttribute('data-state'), 'closed');
    assert.deepEqual(pageErrors, []);
  });
});

// The dashboard's Traces, trace and Service map pages in a real browser (Debian's chromium)
// against `micro run`: the traces kept by the `trace` service list newest first and filter; a
// trace opens as a waterfall whose bars sit where its spans ran, the failed span in red, its
// details and log lines a click away; the service map draws a box per service and an arrow per
// edge, the failing edge red.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { createClient, type Client, type Registry } from '../../src/runtime/index.ts';
import { launchChromium, startPlatform } from '../helpers/browser.ts';
import { closeAll } from '../helpers/fixtures.ts';
import { stopAll } from '../helpers/proc.ts';
import { FAILED, PLAIN, sampleLogs, sampleSpans } from '../helpers/trace-fixture.ts';

describe('the dashboard: traces and the service map', () => {
  const work = mkdtempSync(join(tmpdir(), 'micro-dashboard-traces-'));
  let base = '';
  let registry: Registry;
  let client: Client;
  let context: BrowserContext;
  let page: Page;
  const stops: { close(): Promise<void> }[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    ({ base, registry } = await startPlatform(work));
    client = createClient({ registry, name: 'ops' });
    // The trace's lines, written into the control plane's own logs service.
    await client.call('logs', 'Log.Write', {
      records: sampleLogs().map(({ id: _id, ...r }) => r),
    });
    await client.call('trace', 'Trace.Write', { spans: sampleSpans() });
    ({ context, page } = await launchChromium(work));
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await closeAll(context, ...stops, client, registry, { close: stopAll });
    rmSync(work, { recursive: true, force: true });
  });

  it('lists traces newest first and filters them by status', async () => {
    await page.goto(`${base}/`);
    await page.locator('nav a', { hasText: 'Traces' }).click();
    await page.locator(`tr[data-trace="${FAILED}"]`).waitFor();
    const rows = page.locator('table.traces tbody tr');
    assert.deepEqual(
      await Promise.all((await rows.all()).map((r) => r.getAttribute('data-trace'))),
      [PLAIN, FAILED],
    );
    const failed = (await page.locator(`tr[data-trace="${FAILED}"]`).innerText()).split('\t');
    assert.deepEqual(failed.slice(2), ['40.0 ms', '4', '1', 'api POST /greeter/say/hello']);

    await page.locator('#traces-status').selectOption('error');
    await page.locator('.trace-filter button[type="submit"]').click();
    await page.locator(`tr[data-trace="${PLAIN}"]`).waitFor({ state: 'detached' });
    await page.locator(`tr[data-trace="${FAILED}"]`).waitFor();
    assert.equal(await rows.count(), 1);
    assert.match(new URL(page.url()).hash, /^#\/traces\/status%3Derror$/);
    await page.locator('#traces-min').fill('soon');
    await page.locator('.trace-filter button[type="submit"]').click();
    assert.match(await page.locator('p.problem').innerText(), /min duration must be like 250ms/);
  });

  it("opens a trace's waterfall: bars placed and scaled, the error red, details and logs on click", async () => {
    await page.goto(`${base}/#/traces`);
    await page.locator(`tr[data-trace="${FAILED}"] a`).click();
    await page.locator('.wf-row[data-span]').first().waitFor();
    assert.equal(new URL(page.url()).hash, `#/trace/${FAILED}`);
    assert.match(await page.locator('.trace-summary').innerText(), /40\.0 ms · 4 spans · 1 errors/);
    const rows = page.locator('.wf-row[data-span]');
    assert.deepEqual(
      await Promise.all((await rows.all()).map((r) => r.getAttribute('data-depth'))),
      ['0', '1', '2', '3'],
    );
    // The store call ran from 20 to 30 ms of 40: its bar starts half way and is a quarter wide.
    const [track, bar] = await Promise.all([
      rows.nth(3).locator('.wf-track').boundingBox(),
      rows.nth(3).locator('.wf-bar').boundingBox(),
    ]);
    assert.ok(track && bar);
    assert.ok(Math.abs((bar.x - track.x) / track.width - 0.5) < 0.02, 'starts half way');
    assert.ok(Math.abs(bar.width / track.width - 0.25) < 0.02, 'a quarter wide');
    const colour = await page.evaluate(
      "getComputedStyle(document.querySelectorAll('.wf-row[data-span] .wf-bar')[3]).backgroundColor",
    );
    assert.equal(colour, 'rgb(185, 28, 28)', 'red');
    assert.match(await rows.nth(3).innerText(), /! store Store\.Read/);

    await rows.nth(3).click();
    const details = page.locator('.span-details');
    await details.waitFor();
    assert.match(await details.locator('.span-status').innerText(), /error 500 disk on fire/);
    assert.match(await details.innerText(), /exception/);
    await rows.nth(2).click();
    assert.match(await details.innerText(), /rpc\.method\s+Say\.Hello/);
    assert.deepEqual(await page.locator('.trace-logs li .mono:not(time)').allInnerTexts(), [
      'saying hello to Ann',
      'store read failed',
    ]);
  });

  it('draws the service map: a box per service, an arrow per edge, the failing edge red', async () => {
    await page.goto(`${base}/`);
    await page.locator('nav a', { hasText: 'Service map' }).click();
    await page.locator('svg.service-map').waitFor();
    assert.deepEqual((await page.locator('svg.service-map .node text').allTextContents()).sort(), [
      'api',
      'greeter',
      'store',
    ]);
    const edge = page.locator('svg.service-map .edge[data-from="greeter"][data-to="store"]');
    assert.equal(await edge.locator('.edge-label').textContent(), '0.0011/s · 0.0011 err/s');
    assert.equal(await edge.getAttribute('class'), 'edge bad');
    const ok = page.locator('svg.service-map .edge[data-from="api"][data-to="greeter"]');
    assert.equal(await ok.getAttribute('class'), 'edge');
    // Callers to the left of callees.
    const x = async (name: string) =>
      (await page.locator(`svg.service-map .node[data-service="${name}"] rect`).boundingBox())?.x ??
      0;
    assert.ok((await x('api')) < (await x('greeter')) && (await x('greeter')) < (await x('store')));
    assert.deepEqual(pageErrors, []);
  });
});

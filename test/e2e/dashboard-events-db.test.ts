// The dashboard's Platform and Database pages in a real browser (Debian's chromium) against
// `micro run`: records and events written over RPC, as any service would, show in the pages; what
// the user writes in the Database page reaches the control plane's db; a topic's events show live,
// filtered, and replay from an offset; a consumer group's pending events and members show; what
// happens to the platform (a service up, a config change) shows live on the micro.* topics.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { createMicroDb } from '../../src/platform/db/index.ts';
import type { Db } from '../../src/platform/db/db.ts';
import { createMicroEvents } from '../../src/platform/events/index.ts';
import type { Events } from '../../src/platform/events/events.ts';
import { createClient, type Client, type Registry } from '../../src/runtime/index.ts';
import { launchChromium, startPlatform } from '../helpers/browser.ts';
import { closeAll, greeterService } from '../helpers/fixtures.ts';
import { stopAll } from '../helpers/proc.ts';

describe('the dashboard: platform events and the database', () => {
  const work = mkdtempSync(join(tmpdir(), 'micro-dashboard-events-db-'));
  let base = '';
  let registry: Registry;
  let client: Client;
  let events: Events;
  let db: Db;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const shop = { database: 'shop' };

  before(async () => {
    ({ base, registry } = await startPlatform(work));
    client = createClient({ registry, name: 'ops' });
    events = createMicroEvents({ client });
    db = createMicroDb({ client });
    ({ context, page } = await launchChromium(work));
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await closeAll(context, events, db, client, registry, { close: stopAll });
    rmSync(work, { recursive: true, force: true });
  });

  /** The text of the first element the selector finds, once it shows (holding `want`). */
  const textOf = async (selector: string, want?: RegExp): Promise<string> => {
    const el = page.locator(selector, want ? { hasText: want } : {}).first();
    await el.waitFor();
    return (await el.textContent()) ?? '';
  };
  /** Clicks a confirm button's first button, then its Confirm. */
  const confirm = async (scope: string, action: string): Promise<void> => {
    await page.locator(`${scope} [data-action="${action}"] button`).click();
    await page.locator(`${scope} [data-action="${action}"] button`, { hasText: 'Confirm' }).click();
  };

  it('browses collections and records, filters them, and writes records from the page', async () => {
    await db.createIndex('orders', { fields: ['status'] }, shop);
    await db.create('orders', { total: 3, status: 'open' }, { ...shop, id: 'o1' });
    await db.create('orders', { total: 9, status: 'paid' }, { ...shop, id: 'o2' });

    await page.goto(`${base}/`);
    await page.locator('nav a', { hasText: 'Database' }).click();
    const row = page.locator('tr[data-database="shop"][data-collection="orders"]');
    assert.equal(await row.locator('.records').textContent(), '2');
    assert.match((await row.textContent()) ?? '', /status \(status\)/);
    await row.locator('a').click();
    await page.locator('tr[data-id="o1"]').waitFor();
    assert.equal(new URL(page.url()).hash, '#/db/shop/orders');
    assert.equal(await page.locator('tr[data-id="o2"] [data-field="total"]').textContent(), '9');

    // A where filter narrows the records; a bad one says why.
    await page.locator('#db-where').fill('{"status": "paid"}');
    await page.locator('.db-filter button[type="submit"]').click();
    await page.locator('tr[data-id="o1"]').waitFor({ state: 'detached' });
    assert.equal(await page.locator('tr[data-id]').count(), 1);
    await page.locator('#db-where').fill('{"status": {"$regex": "x"}}');
    await page.locator('.db-filter button[type="submit"]').click();
    assert.match(await textOf('p.problem', /./), /^400 Bad Request: .*regex/);
    await page.locator('#db-where').fill('');
    await page.locator('.db-filter button[type="submit"]').click();
    await page.locator('tr[data-id="o1"]').waitFor();

    // A record's JSON; Edit then Update (merge, tied to its version) after Confirm.
    await page.locator('tr[data-id="o2"] a').click();
    assert.deepEqual(JSON.parse(await textOf('.record pre.value')), { total: 9, status: 'paid' });
    assert.equal(await textOf('.record .version'), '1');
    await page.locator('.record button', { hasText: 'Edit' }).click();
    assert.equal(await page.locator('#record-id').inputValue(), 'o2');
    await page.locator('#record-data').fill('{"total": 10}');
    await confirm('.record-form', 'update');
    await textOf('.record .version', /^2$/);
    assert.deepEqual((await db.read('orders', 'o2', shop))?.data, { total: 10, status: 'paid' });

    // Create from the form, then delete after Confirm.
    await page.locator('#record-id').fill('o3');
    await page.locator('#record-data').fill('{"total": 1, "status": "new"}');
    await confirm('.record-form', 'create');
    await page.locator('tr[data-id="o3"]').waitFor();
    assert.deepEqual((await db.read('orders', 'o3', shop))?.data, { total: 1, status: 'new' });
    await page.locator('tr[data-id="o3"] a').click();
    await textOf('.record h2', /^o3$/);
    await confirm('.record', 'delete');
    await page.locator('tr[data-id="o3"]').waitFor({ state: 'detached' });
    assert.equal(await db.read('orders', 'o3', shop), undefined);
    // A record that is not there (the read's 404) says so, not an error.
    await page.goto(`${base}/#/db/shop/orders/o3`);
    await textOf('.record .empty', /^No such record/);
    assert.deepEqual(pageErrors, []);
  });

  it("follows a topic live with a text filter, replays its range, and shows a group's lag", async () => {
    for (const n of [1, 2, 3])
      await events.publish('orders', { action: 'placed', summary: `order ${n} placed by bob` });
    const sub = await events.subscribe('orders', { group: 'billing', start: 'earliest' });
    const first = await sub[Symbol.asyncIterator]().next();
    assert.equal(first.done ? 0 : first.value.offset, 1);
    try {
      await page.goto(`${base}/#/platform`);
      const topic = page.locator('.durable-topics tr[data-topic="orders"]');
      assert.equal(await topic.locator('.retained').textContent(), '3');
      assert.equal(await topic.locator('.offsets').textContent(), '1–3');
      const group = page.locator('.groups tr[data-topic="orders"][data-group="billing"]');
      await group.locator('.members', { hasText: /^1$/ }).waitFor();
      assert.equal(await group.locator('.lag').textContent(), '3');

      // Replay: from the oldest, then from offset 2 one at a time with Next.
      await topic.locator('a').click();
      await page.locator('.replay tr[data-offset="3"]').waitFor();
      assert.match(await textOf('.replay tr[data-offset="1"]'), /order 1 placed by bob/);
      await page.locator('#replay-from').fill('2');
      await page.locator('#replay-limit').fill('1');
      await page.locator('.replay-form button[type="submit"]').click();
      await page.locator('.replay tr[data-offset="1"]').waitFor({ state: 'detached' });
      assert.equal(await page.locator('.replay tr[data-offset]').count(), 1);
      await page.locator('.replay button', { hasText: 'Next' }).click();
      await page.locator('.replay tr[data-offset="3"]').waitFor();

      // Live: the topic's events newest first; a new one appears at the top; text narrows them.
      await page.locator('select[aria-label="Topic"]').selectOption('orders');
      await textOf('.feed li', /order 3 placed by bob/);
      await events.publish('orders', { action: 'placed', summary: 'order 4 placed by ann' });
      await textOf('.feed li:first-child .summary', /^order 4 placed by ann$/);
      assert.equal(await page.locator('.feed li:first-child .action').textContent(), 'placed');
      await page.locator('input[aria-label="Service or name"]').fill('ann');
      await page.locator('.feed li', { hasText: 'bob' }).first().waitFor({ state: 'detached' });
      assert.equal(await page.locator('.feed li').count(), 1);
      assert.deepEqual(pageErrors, []);
    } finally {
      await sub.stop();
    }
  });

  it('shows what happens to the platform live: a service up, a config change; filters by action', async () => {
    await page.goto(`${base}/#/platform`);
    await page.locator('.feed li').first().waitFor();
    const greeter = greeterService(registry);
    await greeter.start();
    try {
      const up = page.locator('.feed li[data-topic="micro.registry"][data-action="register"]', {
        hasText: 'greeter',
      });
      await up.first().waitFor();
      assert.match(
        (await up.first().locator('.summary').textContent()) ?? '',
        /greeter 1\.0\.0 .*127\.0\.0\.1:\d+/,
      );
      await client.call('config', 'Config.Set', {
        namespace: 'billing',
        path: 'db.pool',
        value: 5,
      });
      const set = page.locator(
        '.feed li:first-child[data-topic="micro.config"][data-action="set"]',
      );
      assert.match((await set.locator('.summary').textContent()) ?? '', /billing/);
      // Only registrations, of greeter: the config change and the control plane's own go.
      // The text first: choosing the action follows at once with both.
      await page.locator('input[aria-label="Service or name"]').fill('greeter');
      await page.locator('select[aria-label="Action"]').selectOption('register');
      await page.locator('.feed li[data-topic="micro.config"]').waitFor({ state: 'detached' });
      await up.first().waitFor();
      const shown = await page.locator('.feed li').evaluateAll((lis) =>
        lis.map((li) => {
          const e = li as { dataset: { action?: string }; textContent: string | null };
          return `${e.dataset.action ?? ''} ${e.textContent ?? ''}`;
        }),
      );
      assert.ok(shown.length >= 1);
      for (const line of shown) assert.match(line, /^register .*greeter/);
      assert.deepEqual(pageErrors, []);
    } finally {
      await greeter.stop();
    }
  });
});

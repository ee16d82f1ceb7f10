// The dashboard's store, config and sync pages in a real browser (Debian's chromium) against
// `micro run`: what a user changes with the CLI (`micro store put`, `micro config set`) or over
// RPC, as any service would, shows in the pages, and what the user does in the pages reaches them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { createClient, type Client, type Registry } from '../../src/runtime/index.ts';
import { launchChromium, startPlatform } from '../helpers/browser.ts';
import { micro } from '../helpers/cli.ts';
import { closeAll } from '../helpers/fixtures.ts';
import { stopAll } from '../helpers/proc.ts';

describe('the dashboard: store, config and sync', () => {
  const work = mkdtempSync(join(tmpdir(), 'micro-dashboard-platform-'));
  let base = '';
  let registry: Registry;
  let client: Client;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    ({ base, registry } = await startPlatform(work));
    client = createClient({ registry, name: 'ops' });
    ({ context, page } = await launchChromium(work));
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await closeAll(context, client, registry, { close: stopAll });
    rmSync(work, { recursive: true, force: true });
  });

  /** The text of the first element the selector finds, once it shows (holding `want`). */
  const textOf = async (selector: string, want?: RegExp): Promise<string> => {
    const el = page.locator(selector, want ? { hasText: want } : {}).first();
    await el.waitFor();
    return (await el.textContent()) ?? '';
  };

  it('shows a key put with micro store put, its value and version, one put over RPC while watching, and deletes one after confirmation', async () => {
    const cli = await micro(
      [
        'store',
        'put',
        'cart/ann',
        '{"items":["tea"],"total":3}',
        '--database',
        'shop',
        '--table',
        'carts',
      ],
      { env: { MICRO_REGISTRY_ADDRESS: registry.address } },
    );
    assert.equal(cli.code, 0, cli.stderr);
    const put = await client.call<{ entry: { version: string } }>('store', 'Store.Get', {
      database: 'shop',
      table: 'carts',
      key: 'cart/ann',
    });
    // Store in the menu opens the first namespace that holds keys.
    await page.goto(`${base}/`);
    await page.locator('nav a', { hasText: 'Store' }).click();
    await page.locator('tr[data-key="cart/ann"]').waitFor();
    assert.match(await textOf('#store-namespace'), /shop \/ carts/);
    assert.equal(new URL(page.url()).hash, '#/store/shop/carts');

    await page.locator('tr[data-key="cart/ann"] a').click();
    const value = JSON.parse(await textOf('.entry pre.value')) as unknown;
    assert.deepEqual(value, { items: ['tea'], total: 3 });
    assert.equal(await textOf('.entry .version'), put.entry.version);
    assert.equal(await textOf('.entry .expires'), 'never');

    // A key put while the page is open appears without a reload, with its lease.
    await client.call('store', 'Store.Put', {
      database: 'shop',
      table: 'carts',
      key: 'cart/bob',
      value: 'pending',
      ttl: 600_000,
    });
    assert.match(await textOf('tr[data-key="cart/bob"]'), /in 10 min/);

    // The prefix narrows the keys.
    await page.locator('input[aria-label="Key prefix"]').fill('cart/b');
    await page.locator('tr[data-key="cart/ann"]').waitFor({ state: 'detached' });
    assert.equal(await page.locator('tr[data-key]').count(), 1);
    await page.locator('input[aria-label="Key prefix"]').fill('');
    await page.locator('tr[data-key="cart/ann"]').waitFor();

    // Delete asks first; Cancel keeps the key, Confirm removes it.
    await page.locator('.entry [data-action="delete"] button').click();
    assert.equal(await textOf('.entry .question'), 'Delete cart/ann?');
    await page.locator('.entry [data-action="delete"] button', { hasText: 'Cancel' }).click();
    assert.deepEqual(
      await client.call('store', 'Store.Get', {
        database: 'shop',
        table: 'carts',
        key: 'cart/ann',
      }),
      {
        entry: { key: 'cart/ann', value: { items: ['tea'], total: 3 }, version: put.entry.version },
      },
    );
    await page.locator('.entry [data-action="delete"] button').click();
    await page.locator('.entry [data-action="delete"] button', { hasText: 'Confirm' }).click();
    await page.locator('tr[data-key="cart/ann"]').waitFor({ state: 'detached' });
    assert.deepEqual(
      await client.call('store', 'Store.Get', {
        database: 'shop',
        table: 'carts',
        key: 'cart/ann',
      }),
      {},
    );

    // A put from the form, after confirmation, is stored.
    await page.locator('#put-key').fill('cart/cy');
    await page.locator('#put-value').fill('{"items": []}');
    await page.locator('[data-action="put"] button').click();
    await page.locator('[data-action="put"] button', { hasText: 'Confirm' }).click();
    await page.locator('tr[data-key="cart/cy"]').waitFor();
    const stored = await client.call<{ entry?: { value: unknown } }>('store', 'Store.Get', {
      database: 'shop',
      table: 'carts',
      key: 'cart/cy',
    });
    assert.deepEqual(stored.entry?.value, { items: [] });
    assert.deepEqual(pageErrors, []);
  });

  it('shows config set twice with micro config set: the tree, the history and the diff; rolls back; shows a schema 400', async () => {
    const ns = { namespace: 'billing' };
    await client.call('config', 'Config.SetSchema', {
      ...ns,
      schema: {
        type: 'object',
        properties: {
          db: {
            type: 'object',
            properties: { pool: { type: 'integer', minimum: 1, maximum: 100 } },
          },
        },
      },
    });
    // Set twice with the CLI, as a user would: the history names the user.
    const set = async (value: string): Promise<{ version: number }> => {
      const r = await micro(
        ['config', 'set', 'db.pool', value, '--namespace', 'billing', '-o', 'json'],
        {
          env: { MICRO_REGISTRY_ADDRESS: registry.address, USER: 'ann' },
        },
      );
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as { version: number };
    };
    const first = await set('5');
    const second = await set('10');
    await page.goto(`${base}/#/config/billing`);
    await textOf('pre.tree', /"pool": 10/);
    const newest = page.locator(`tr[data-version="${second.version}"]`);
    assert.match((await newest.textContent()) ?? '', /set\s*db\.pool\s*ann/);
    assert.match(await textOf(`tr[data-version="${first.version}"]`), /set\s*db\.pool\s*ann/);

    // The diff opens from the version before the newest to the newest.
    const change = page.locator('.diff tr[data-path="db.pool"]');
    await change.waitFor();
    assert.equal(await change.locator('.before').textContent(), '5');
    assert.equal(await change.locator('.after').textContent(), '10');

    // Roll back to the first version, after confirmation.
    const row = page.locator(`tr[data-version="${first.version}"]`);
    await row.locator('[data-action="rollback"] button').click();
    assert.equal(await textOf('.question'), `Back to v${first.version}?`);
    await row.locator('[data-action="rollback"] button', { hasText: 'Confirm' }).click();
    await page
      .locator('tr[data-version] .badge', { hasText: `rollback to v${first.version}` })
      .waitFor();
    await textOf('pre.tree', /"pool": 5/);
    const now = await client.call<{ value: unknown }>('config', 'Config.Get', {
      ...ns,
      path: 'db.pool',
    });
    assert.equal(now.value, 5);

    // A value the schema refuses: the 400's detail shows, nothing changes.
    await page.locator('#set-path').fill('db.pool');
    await page.locator('#set-value').fill('1000');
    await page.locator('.set button[type="submit"]').click();
    const problem = await textOf('.set .problem', /./);
    assert.match(problem, /^400 Bad Request: /);
    assert.match(problem, /db\.pool|maximum|100/);
    const after = await client.call<{ value: unknown }>('config', 'Config.Get', {
      ...ns,
      path: 'db.pool',
    });
    assert.equal(after.value, 5);
    assert.deepEqual(pageErrors, []);
  });

  it('shows a lock someone holds, and an election with its leader and candidates', async () => {
    const held = await client.call<{ token: number }>('sync', 'Sync.Lock', {
      name: 'orders/compact',
      holder: 'worker-7',
      ttl: 60_000,
    });
    await client.call('sync', 'Sync.Campaign', { name: 'scheduler', id: 'node-a', ttl: 60_000 });
    await client.call('sync', 'Sync.Campaign', { name: 'scheduler', id: 'node-b', ttl: 60_000 });
    await page.goto(`${base}/#/sync`);
    const lock = page.locator('tr[data-lock="orders/compact"]');
    await lock.waitFor();
    assert.equal(await lock.locator('.holder').textContent(), 'worker-7');
    assert.equal(await lock.locator('.token').textContent(), String(held.token));
    assert.match((await lock.textContent()) ?? '', /in (59|60) s/);

    const election = page.locator('tr[data-election="scheduler"]');
    await election.waitFor();
    assert.equal(await election.locator('.leader').textContent(), 'node-a');
    await election.locator('.candidates', { hasText: 'node-b' }).waitFor();
    assert.match((await election.locator('.candidates').textContent()) ?? '', /node-a.*node-b/);

    // Unlocked elsewhere: the row goes at the next read.
    await client.call('sync', 'Sync.Unlock', { name: 'orders/compact', token: held.token });
    await lock.waitFor({ state: 'detached' });
    assert.deepEqual(pageErrors, []);
  });
});

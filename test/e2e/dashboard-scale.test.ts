// The web dashboard at scale, in a real chromium against `micro run`: thousands of services (2
// nodes, 5 endpoints each) registered straight into the control plane. The table draws only the
// rows in view, the stream's first message stays small, and a burst of changes ends right.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type { Registry, RegistryService } from '../../src/runtime/index.ts';
import { closeAll } from '../helpers/fixtures.ts';
import { launchChromium, startPlatform } from '../helpers/browser.ts';
import { stopAll } from '../helpers/proc.ts';

const N = Number(process.env.MICRO_DASHBOARD_SCALE ?? 5000);

/** What the page functions below use of the browser (the tests are typed for Node, not the DOM). */
interface Browser {
  document: {
    querySelector(selector: string): {
      scrollTop: number;
      scrollHeight: number;
      dataset: Record<string, string | undefined>;
      addEventListener(type: string, fn: (e: { timeStamp: number }) => void): void;
      textContent?: string | null;
    } | null;
  };
  performance: { now(): number; getEntriesByName(name: string): { startTime: number }[] };
  requestAnimationFrame(fn: () => void): void;
  setTimeout(fn: () => void, ms: number): void;
  frames?: number[];
}

/** A service as the issue measured: 2 nodes and 5 endpoints with small schemas. */
const service = (name: string): RegistryService => ({
  name,
  version: '1.0.0',
  metadata: { team: 'scale' },
  endpoints: Array.from({ length: 5 }, (_, e) => ({
    name: `Svc.Call${e}`,
    metadata: {},
    request: { type: 'object', properties: { id: { type: 'string' } } },
    response: { type: 'object', properties: { ok: { type: 'boolean' } } },
  })),
  nodes: [1, 2].map((n) => ({ id: `${name}-${n}`, address: '127.0.0.1:9', metadata: {} })),
});

/** Runs fn over the items, at most `width` at a time. */
async function bounded<T>(items: T[], width: number, fn: (item: T) => Promise<unknown>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

describe('the web dashboard with thousands of services', () => {
  const work = mkdtempSync(join(tmpdir(), 'micro-dashboard-scale-'));
  const names = Array.from({ length: N }, (_, i) => `svc-${i + 1}`);
  let base = '';
  let registry: Registry;
  let context: BrowserContext;
  let page: Page;
  let others: string[] = [];
  const pageErrors: string[] = [];
  const register = (name: string) => registry.register(service(name), { ttl: 3_600_000 });
  const deregister = (name: string) => registry.deregister(service(name));
  /** Resolves once the services table's data-total or data-shown equals want. */
  const tableSays = (key: 'total' | 'shown', want: number) =>
    page.waitForFunction(
      ([k, n]) =>
        (globalThis as unknown as Browser).document.querySelector('table.services')?.dataset[k] ===
        String(n),
      [key, want] as const,
      { timeout: 60_000 },
    );

  before(async () => {
    ({ base, registry } = await startPlatform(work));
    const listed = (await (await fetch(`${base}/_/api/services?summary`)).json()) as {
      services: { name: string }[];
    };
    others = listed.services.map((s) => s.name);
    await bounded(names, 32, register);
    ({ context, page } = await launchChromium(work));
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await closeAll(context, registry, { close: stopAll });
    rmSync(work, { recursive: true, force: true });
  });

  it(`sends summaries in a small first event-stream message at N=${N}`, async (t) => {
    const abort = new AbortController();
    const res = await fetch(`${base}/_/api/events`, { signal: abort.signal });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    try {
      // The first message ends at the first blank line after `event: services`.
      for (let i = 0; i < 10_000; i++) {
        const at = text.indexOf('event: services');
        if (at >= 0 && text.indexOf('\n\n', at) >= 0) break;
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
    } finally {
      abort.abort();
    }
    const at = text.indexOf('event: services');
    const message = text.slice(at, text.indexOf('\n\n', at));
    const bytes = Buffer.byteLength(message);
    t.diagnostic(`first event-stream message: ${(bytes / 1024).toFixed(0)} KB for ${N} services`);
    const data = JSON.parse(message.slice(message.indexOf('data: ') + 6)) as {
      services: { name: string; nodes: number; endpoints: number }[];
    };
    assert.equal(data.services.length, N + others.length);
    assert.deepEqual(
      data.services.find((s) => s.name === 'svc-1'),
      { name: 'svc-1', versions: ['1.0.0'], nodes: 2, endpoints: 5, web: false },
    );
    assert.ok(bytes < 1024 * 1024, `${bytes} bytes`);
  });

  it('draws only the rows in view, counts them all, in natural order', async (t) => {
    await page.goto(`${base}/`);
    await page.locator('tr[data-service="svc-1"]').waitFor();
    const total = N + others.length;
    await tableSays('total', total);
    assert.equal(await page.locator('h1 .count').textContent(), String(total));
    const drawn = await page.locator('tbody tr[data-service]').count();
    t.diagnostic(`${drawn} rows in the DOM for ${total} services`);
    assert.ok(drawn > 10 && drawn < 200, `${drawn} rows drawn`);
    const first = await page
      .locator('tbody tr[data-service^="svc-"]')
      .evaluateAll((rows) =>
        rows.map((r) => (r as { dataset: { service?: string } }).dataset.service),
      );
    assert.deepEqual(first.slice(0, 11), [...names.slice(0, 9), 'svc-10', 'svc-11']);
    const marks = await page.evaluate(() => {
      const { performance } = globalThis as unknown as Browser;
      return ['micro:services', 'micro:rows'].map(
        (m) => performance.getEntriesByName(m)[0]?.startTime ?? NaN,
      );
    });
    t.diagnostic(
      `list arrived ${marks[0]?.toFixed(0)} ms, first rows drawn ${marks[1]?.toFixed(0)} ms after navigation`,
    );
  });

  it('narrows the rows as one types in the search box', async (t) => {
    // Each keystroke's time to the frame after it, measured in the page (reported, not asserted).
    await page.evaluate(() => {
      const w = globalThis as unknown as Browser;
      w.frames = [];
      w.document.querySelector('input.search')?.addEventListener('input', (e) => {
        w.requestAnimationFrame(() =>
          w.setTimeout(() => w.frames?.push(w.performance.now() - e.timeStamp), 0),
        );
      });
    });
    await page.locator('input.search').pressSequentially('svc-49', { delay: 50 });
    const table = page.locator('table.services');
    const matching = names.filter((n) => n.includes('svc-49')).length; // 111 at N=5,000
    await tableSays('shown', matching);
    assert.equal(await table.getAttribute('data-total'), String(N + others.length));
    const rows = await page
      .locator('tbody tr[data-service]')
      .evaluateAll((rows) =>
        rows.map((r) => (r as { dataset: { service?: string } }).dataset.service),
      );
    assert.deepEqual(rows.slice(0, 3), ['svc-49', 'svc-490', 'svc-491']);
    assert.ok(
      rows.every((r) => r?.startsWith('svc-49')),
      'every row drawn matches',
    );
    if (matching > 60) assert.ok(rows.length < matching, `${rows.length} of ${matching} drawn`);
    const frames = await page.evaluate(() => (globalThis as unknown as Browser).frames ?? []);
    t.diagnostic(`keystroke to next frame: ${frames.map((f) => f.toFixed(1)).join(', ')} ms`);
    await page.locator('input.search').fill('');
    await tableSays('shown', N + others.length);
  });

  it('shows the last service when scrolled to the end by keyboard, and opens it with its details', async () => {
    const last = [...others, ...names]
      .sort(new Intl.Collator('en', { numeric: true }).compare)
      .at(-1)!;
    await page.locator('.scroller').focus();
    await page.keyboard.press('End');
    await page.locator(`tr[data-service="${last}"]`).waitFor();
    // The last of the fleet is a row or two above the control plane's own (sync sorts after svc-N).
    const row = page.locator(`tr[data-service="svc-${N}"]`);
    await row.waitFor();
    assert.equal(await page.locator('tr[data-service="svc-1"]').count(), 0, 'the top rows went');
    await row.locator('a.name').click();
    await page.locator('h1.service-name', { hasText: `svc-${N}` }).waitFor();
    await page.locator(`tr[data-node="svc-${N}-2"]`).waitFor();
    assert.equal(await page.locator('tr[data-node]').count(), 2);
    assert.equal(await page.locator('.card.endpoint').count(), 5);
    assert.equal(await page.locator('#call-endpoint option').count(), 5);
  });

  it('checks the health of every node, drawing only the rows in view', async (t) => {
    const t0 = performance.now();
    await page.goto(`${base}/#/health`);
    const summary = page.locator('h1 .count', { hasText: /^\d+ of \d+ healthy$/ });
    await summary.waitFor({ timeout: 120_000 });
    // The control plane's monitor probes the fleet in rounds: the page counts what it has probed.
    await page.waitForFunction(
      (n) => {
        const text = (globalThis as unknown as Browser).document.querySelector(
          'h1 .count',
        )?.textContent;
        const m = /^\d+ of (\d+)/.exec(text ?? '');
        return m !== null && Number(m[1]) >= n;
      },
      2 * N,
      { timeout: 120_000 },
    );
    t.diagnostic(`${2 * N} nodes probed in ${(performance.now() - t0).toFixed(0)} ms`);
    const [, ok, all] = /^(\d+) of (\d+)/.exec((await summary.textContent()) ?? '') ?? [];
    assert.ok(Number(all) >= 2 * N, `${all} nodes`);
    assert.ok(Number(ok) < 2 * N, 'the fake nodes failed');
    const drawn = await page.locator('table.health tbody tr[data-node]').count();
    assert.ok(drawn > 10 && drawn < 200, `${drawn} rows drawn`);
    await page.evaluate(() => {
      const box = (globalThis as unknown as Browser).document.querySelector('.scroller');
      if (box) box.scrollTop = box.scrollHeight;
    });
    await page.locator(`tr[data-node="svc-${N}-2"]`).waitFor();
  });

  it('ends a burst of registrations and deregistrations with the right count and rows', async () => {
    await page.goto(`${base}/#/`);
    await tableSays('total', N + others.length);
    // Scrolled to the end while the end of the list goes away.
    await page.evaluate(() => {
      const box = (globalThis as unknown as Browser).document.querySelector('.scroller');
      if (box) box.scrollTop = box.scrollHeight;
    });
    await page.locator(`tr[data-service="svc-${N}"]`).waitFor();
    // The last 300 go at once, so that the box is scrolled past the new end.
    await bounded(names.slice(-300), 64, deregister);
    await tableSays('total', N + others.length - 300);
    await page.locator(`tr[data-service="svc-${N - 300}"]`).waitFor();
    const drawn = await page.locator('tbody tr[data-service]').count();
    assert.ok(drawn > 10, `the new end of the list is drawn (${drawn} rows)`);
    assert.equal(await page.locator(`tr[data-service="svc-${N}"]`).count(), 0);
    const added = Array.from({ length: 300 }, (_, i) => `burst-${i}`);
    const gone = names.slice(0, 200);
    await bounded(
      [...added.map((n) => () => register(n)), ...gone.map((n) => () => deregister(n))],
      16,
      (f) => f(),
    );
    await bounded(added.slice(0, 100), 16, deregister);
    await tableSays('total', N + others.length - 300 + 300 - 100 - 200);
    await page.locator('input.search').fill('burst-');
    await tableSays('shown', 200);
    await page.locator('tr[data-service="burst-100"]').waitFor();
    assert.equal(await page.locator('tr[data-service="burst-99"]').count(), 0);
    assert.deepEqual(pageErrors, []);
  });
});

// The dashboard with a large fleet, in a real Chromium (playwright-core, launched as the dashboard
// tests launch it): the first screen, a search keystroke to the next frame, input to frame while
// the registry churns, the page's long tasks and DOM size. Every wait is bounded.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Registry } from '../../src/registry/registry.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { churn } from './load.ts';
import { domNodes, installProbe, readProbe, type ProbeState } from './page.ts';

const CHROMIUM = process.env.MICRO_TEST_CHROMIUM ?? '/usr/bin/chromium';
// As the dashboard tests run it: no sandbox as root, no background traffic.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** The longest a page may take to show its first rows. */
const FIRST_SCREEN_MS = 60_000;
/** The longest a frozen page is waited for after a churn, before its missing inputs count as lost. */
const CATCH_UP_MS = 30_000;

/** The dashboard's figures while the registry churns at one rate. */
export interface ChurnFigures {
  rate: number;
  /** Input to next frame, ms, one per keystroke sent; Infinity for one never handled in time. */
  inputToFrame: number[];
  /** Share of the churn window the main thread spent in long tasks (0..1). */
  busy: number;
  /** Changes the churn made, and the ones it could not start on time. */
  changes: number;
  late: number;
  errors: number;
}

/** Everything the dashboard phase measured for one N. */
export interface DashboardFigures {
  /** Navigation start to the first frame with service rows, ms, one per timed visit; Infinity: none in a minute. */
  firstScreen: number[];
  rowsAtFirst: number;
  /** A search keystroke to the first frame after the list changed, ms. */
  keystroke: number[];
  domNodes: number;
  churn: ChurnFigures[];
}

/** The browser, started once for the whole run. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `no chromium at ${CHROMIUM}: install Debian's (apt-get install chromium), or set MICRO_TEST_CHROMIUM`,
    );
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

/** p's value, or undefined once ms have passed (p goes on, its result is dropped). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  try {
    return await Promise.race([p.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The probe's state, polled until done accepts it or ms pass; the last state read (or undefined). */
async function probeUntil(
  page: Page,
  done: (s: ProbeState) => boolean,
  ms: number,
): Promise<ProbeState | undefined> {
  const deadline = performance.now() + ms;
  let last: ProbeState | undefined;
  while (performance.now() < deadline) {
    last = (await within(page.evaluate(readProbe), deadline - performance.now())) ?? last;
    if (last && done(last)) return last;
    await sleep(50);
  }
  return last;
}

/** Opens the dashboard in a new page; resolves with it and its first screen time, NaN if none came. */
async function open(
  context: BrowserContext,
  base: string,
): Promise<{ page: Page; firstScreen: number; rows: number }> {
  const page = await context.newPage();
  await page.addInitScript(installProbe);
  await within(page.goto(`${base}/`, { waitUntil: 'commit' }), FIRST_SCREEN_MS);
  const s = await probeUntil(page, (p) => p.firstRows !== undefined, FIRST_SCREEN_MS);
  return { page, firstScreen: s?.firstRows ?? NaN, rows: s?.rowsAtFirst ?? 0 };
}

/** Closes a page without waiting for a frozen renderer for more than a few seconds. */
const close = (page: Page): Promise<void> =>
  within(page.close({ runBeforeUnload: false }), 5000).then(() => undefined);

/**
 * Types key into the focused search box and resolves with the input's sample once pick gives a
 * figure for it, or NaN after ms.
 */
async function keystroke(
  page: Page,
  key: string,
  pick: (s: ProbeState['inputs'][number]) => number | undefined,
  ms: number,
): Promise<number> {
  const before = (await within(page.evaluate(readProbe), ms))?.inputs.length ?? 0;
  await within(page.keyboard.press(key), ms);
  const s = await probeUntil(
    page,
    (p) => p.inputs[before] !== undefined && pick(p.inputs[before]) !== undefined,
    ms,
  );
  const sample = s?.inputs[before];
  return (sample && pick(sample)) ?? NaN;
}

/** The share of [from, to] that long tasks covered. */
function busyShare(tasks: [number, number][], from: number, to: number): number {
  if (!(to > from)) return NaN;
  let busy = 0;
  for (const [start, duration] of tasks)
    busy += Math.max(0, Math.min(to, start + duration) - Math.max(from, start));
  return busy / (to - from);
}

/** Settings of the dashboard phase. */
export interface DashboardSettings {
  visits: number;
  keystrokes: number;
  rates: number[];
  churnMs: number;
}

/** No figures yet: what dashboard() fills as it goes (a failed run keeps what it has). */
export const noFigures = (): DashboardFigures => ({
  firstScreen: [],
  rowsAtFirst: 0,
  keystroke: [],
  domNodes: NaN,
  churn: [],
});

/**
 * Measures the dashboard at base with services 1..n registered, into figures; clients churn the
 * registry.
 */
export async function dashboard(
  browser: Browser,
  base: string,
  clients: Registry[],
  n: number,
  o: DashboardSettings,
  figures: DashboardFigures,
): Promise<void> {
  // One profile for every visit of this N, and one visit first to fill its cache (as a user who has
  // been there before); then the timed ones.
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  try {
    await visits(context, base, clients, n, o, figures);
  } finally {
    await within(context.close(), 10_000);
  }
}

/** dashboard()'s visits in one browser profile. */
async function visits(
  context: BrowserContext,
  base: string,
  clients: Registry[],
  n: number,
  o: DashboardSettings,
  figures: DashboardFigures,
): Promise<void> {
  let page: Page | undefined;
  for (let visit = 0; visit <= o.visits; visit++) {
    if (page) await close(page);
    const v = await open(context, base);
    page = v.page;
    if (visit > 0)
      figures.firstScreen.push(Number.isFinite(v.firstScreen) ? v.firstScreen : Infinity);
    figures.rowsAtFirst = v.rows;
    if (!Number.isFinite(v.firstScreen)) {
      // A page that shows no rows in a minute cannot be typed into either.
      await close(page);
      return;
    }
  }
  if (!page) return;
  figures.domNodes = (await within(page.evaluate(domNodes), FIRST_SCREEN_MS)) ?? NaN;

  // A digit from an empty box narrows svc-1..svc-N to a different list: the rows must change.
  const search = 'input.search';
  await within(page.focus(search), FIRST_SCREEN_MS);
  const digits = ['7', '3', '9', '5', '2', '8', '4', '6'];
  for (let k = 0; k < o.keystrokes; k++) {
    const ms = await keystroke(page, digits[k % digits.length]!, (s) => s.toUpdate, CATCH_UP_MS);
    figures.keystroke.push(Number.isFinite(ms) ? ms : Infinity);
    await keystroke(page, 'Backspace', (s) => s.toUpdate, CATCH_UP_MS);
  }
  await close(page);

  for (const rate of o.rates)
    figures.churn.push(await underChurn(context, base, clients, n, rate, o));
}

/**
 * A fresh page while the registry changes `rate` services a second for o.churnMs: keystrokes spaced
 * over the window (a digit, then Backspace), each timed to its next frame in the page.
 */
async function underChurn(
  context: BrowserContext,
  base: string,
  clients: Registry[],
  n: number,
  rate: number,
  o: DashboardSettings,
): Promise<ChurnFigures> {
  const { page } = await open(context, base);
  try {
    await within(page.focus('input.search'), FIRST_SCREEN_MS);
    const from = (await within(page.evaluate(readProbe), FIRST_SCREEN_MS))?.now ?? NaN;
    const sentBefore =
      (await within(page.evaluate(readProbe), FIRST_SCREEN_MS))?.inputs.length ?? 0;
    const c = churn(clients, n, rate, o.churnMs + 5000);
    const t0 = performance.now();
    const presses = Math.max(2, Math.round(o.churnMs / 500));
    let sent = 0;
    for (let k = 0; k < presses; k++) {
      const wait = t0 + (k * o.churnMs) / presses - performance.now();
      if (wait > 0) await sleep(wait);
      const left = t0 + o.churnMs - performance.now();
      if (left <= 0) break;
      // A press the page does not take within the window stays queued; no more are sent after it.
      sent++;
      if (
        await within(page.keyboard.press(k % 2 === 0 ? '1' : 'Backspace'), left).then(
          (r) => r === undefined,
        )
      )
        break;
    }
    const done = await c.stop();
    const s = await probeUntil(
      page,
      (p) =>
        p.inputs.length - sentBefore >= sent &&
        p.inputs.slice(sentBefore).every((i) => i.toFrame !== undefined),
      CATCH_UP_MS,
    );
    const inputs = (s?.inputs ?? []).slice(sentBefore);
    const inputToFrame = Array.from({ length: sent }, (_, k) => inputs[k]?.toFrame ?? Infinity);
    return {
      rate,
      inputToFrame,
      busy: s ? busyShare(s.longTasks, from, s.now) : NaN,
      changes: done.changes,
      late: done.late,
      errors: done.errors,
    };
  } finally {
    await close(page);
  }
}

/** The nearest-rank quantile q of values, Infinity (an input never handled) included. */
export function quantileAll(values: number[], q: number): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))]!;
}

/** The nearest-rank median of values, Infinity (an input never handled) included. */
export const medianAll = (values: number[]): number => quantileAll(values, 0.5);

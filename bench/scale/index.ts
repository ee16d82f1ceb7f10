// Scale benchmark (issue 15, point 7): micro with N = 100, 1,000 and 5,000 services registered
// (2 nodes and 5 endpoints each, over the registry client, 32 calls in flight), without churn and
// with 10 and 100 services changed per second (half deregistered, half registered again).
//
// For each N, a fresh `micro run` (registry, dashboard and gateway in one process, free ports of
// 127.0.0.1, a temporary data folder) is filled, then:
//   memory     its VmRSS after the first fill, and after 3 cycles of deregistering and registering
//              the whole fleet again;
//   payloads   Registry.ListServices, `micro list services --output json`, /openapi.json (the first
//              build and the cached one), and the forms issue 15 asks for (ListServices' summary,
//              /openapi.json?service=), which show n/a while the control plane does not serve them;
//   dashboard  in Chromium (playwright-core): the first screen, a search keystroke to the next
//              frame, input to frame and long tasks during each churn, the first event's size, DOM nodes;
//   explorer   `micro explore` in tmux: its VmRSS idle and at its peak during each churn.
// Then it prints issue 15's table with the goals as MET / NOT MET.
//
// Flags: --quick (N = 100 and 1,000, 5 s churns, fewer visits), --only=dashboard,explorer,payloads,memory
// (any of them), --churn-seconds=S (BENCH_SCALE_CHURN_S, 10). Environment: BENCH_SCALE_N (comma list
// of N), BENCH_CONTROL_PLANE (binary: dist/micro, built when missing; dev: node bin/micro.ts),
// BENCH_BINARY (another micro executable), BENCH_BUILD=1, MICRO_TEST_CHROMIUM (/usr/bin/chromium).
// The default run takes about 10 minutes.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { Registry } from '../../src/registry/registry.ts';
import { ensureBinary } from '../lib/binary.ts';
import { procStatusBytes, withChildren } from '../lib/processes.ts';
import { machine } from '../lib/report.ts';
import { fmt } from '../lib/stats.ts';
import { dashboard, launchBrowser, noFigures } from './dashboard.ts';
import { explorer } from './explorer.ts';
import { empty, fill } from './load.ts';
import { micro, startMicroRun, type Micro } from './micro-run.ts';
import { firstEvent, payloads } from './payloads.ts';
import { report, size, type SizeResults } from './report.ts';
import { config, type Config } from './settings.ts';

/** What this benchmark measures, for `npm run bench`'s list. */
export const describe =
  'dashboard (Chromium), explorer, payloads and control plane memory with 100 to 5,000 services, with and without churn';

/** Registry clients the calls are spread over (8 connections each). */
const CLIENTS = 4;

/** Runs the scale benchmark and prints issue 15's table. */
export async function run(): Promise<void> {
  const cfg = config();
  const m = micro(cfg.mode);
  console.log(
    `scale: N = ${cfg.sizes.map((n) => fmt(n)).join(', ')}; ${cfg.parts.join(', ')}; churn ${cfg.rates.join(' and ')} services/s ` +
      `for ${cfg.churnMs / 1000} s; ${m.label}; ${machine()}`,
  );
  if (cfg.mode === 'binary') {
    const note = ensureBinary(cfg.build);
    if (note) console.log(note);
  }
  const results: SizeResults[] = [];
  const browser = cfg.parts.includes('dashboard') ? await launchBrowser() : undefined;
  try {
    for (const n of cfg.sizes) {
      const r: SizeResults = { n };
      results.push(r);
      try {
        await measure(cfg, m, n, r, browser);
      } catch (err) {
        r.error = err instanceof Error ? err.message : String(err);
        console.error(`N=${fmt(n)}: ${r.error}`);
        process.exitCode = 1;
      }
    }
  } finally {
    await browser?.close().catch(() => undefined);
    report(results, cfg.rates);
  }
}

/** Measures every selected part with n services registered on a fresh `micro run`. */
async function measure(
  cfg: Config,
  m: Micro,
  n: number,
  r: SizeResults,
  browser: Browser | undefined,
): Promise<void> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'micro-bench-scale-'));
  try {
    await withChildren(async (children) => {
      const cp = await startMicroRun(children, m, dataDir);
      const rss = async (): Promise<number> => {
        await sleep(1000); // the watches' fan-out of the last changes
        return procStatusBytes(cp.child.pid, 'VmRSS');
      };
      const clients: Registry[] = Array.from({ length: CLIENTS }, () =>
        createMicroRegistry({ address: cp.registry, timeout: 60_000 }),
      );
      const step = (what: string): void =>
        console.log(`N=${fmt(n)}: ${what} (${fmt(performance.now() / 1000)} s)`);
      try {
        step(
          `micro run pid ${cp.child.pid}, registry ${cp.registry}, web ${cp.web}, api ${cp.api}; filling`,
        );
        r.fill = await fill(clients, n);
        if (r.fill.errors)
          throw new Error(`the fill failed ${r.fill.errors} times: ${r.fill.firstError}`);
        if (cfg.parts.includes('memory')) {
          const first = await rss();
          step(
            `RSS after the fill ${size(first)}; ${cfg.cycles} cycles of deregistering and registering all`,
          );
          let errors = 0;
          for (let c = 0; c < cfg.cycles; c++)
            errors += (await empty(clients, n)).errors + (await fill(clients, n)).errors;
          r.memory = { first, cycled: await rss(), errors };
        }
        if (cfg.parts.includes('payloads')) {
          step('payloads');
          r.payloads = await payloads(m, cp.registry, cp.api);
        }
        if (browser) {
          step('dashboard in Chromium');
          r.event = await firstEvent(cp.web);
          r.dashboard = noFigures();
          await dashboard(
            browser,
            `http://${cp.web}`,
            clients,
            n,
            {
              visits: cfg.visits,
              keystrokes: cfg.keystrokes,
              rates: cfg.rates,
              churnMs: cfg.churnMs,
            },
            r.dashboard,
          );
        }
        if (cfg.parts.includes('explorer')) {
          step('micro explore in tmux');
          r.explorer = await explorer(m, cp.registry, clients, n, cfg.rates, cfg.churnMs);
        }
      } finally {
        for (const c of clients) await c.close().catch(() => undefined);
      }
    }, 10_000);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

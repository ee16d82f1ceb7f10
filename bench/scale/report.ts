// What the scale benchmark prints: issue 15's table (a column per N) and its goals as MET / NOT MET.
import { verdict } from '../lib/report.ts';
import { fmt, table } from '../lib/stats.ts';
import { medianAll, quantileAll, type DashboardFigures } from './dashboard.ts';
import type { ExplorerFigures } from './explorer.ts';
import type { LoadResult } from './load.ts';
import type { Payload, Payloads } from './payloads.ts';

/** Issue 15's goals. */
export const GOAL = {
  firstScreenMs: 300,
  keystrokeMs: 50,
  churnP95Ms: 100,
  churnRate: 100,
  explorerRatio: 1.5,
  memoryRatio: 1.5,
};

/** What was measured with N services registered; a part that did not run is undefined. */
export interface SizeResults {
  n: number;
  fill?: LoadResult;
  memory?: { first: number; cycled: number; errors: number };
  payloads?: Payloads;
  event?: Payload;
  dashboard?: DashboardFigures;
  explorer?: ExplorerFigures;
  /** Why this N stopped early. */
  error?: string;
}

/** Bytes as KB or MB (10^3, 10^6). */
export const size = (b: number): string =>
  !Number.isFinite(b) ? '-' : b >= 1e6 ? `${fmt(b / 1e6, 1)} MB` : `${fmt(b / 1e3, 0)} KB`;

/** A duration: ms below a second, else seconds; Infinity is an input never handled. */
export const duration = (ms: number): string =>
  ms === Infinity
    ? 'never'
    : !Number.isFinite(ms)
      ? '-'
      : ms < 1000
        ? `${fmt(ms, 0)} ms`
        : `${fmt(ms / 1000, 2)} s`;

const payload = (p: Payload | undefined): string => p?.na ?? size(p?.bytes ?? NaN);

/** The p95 of a churn's inputs at rate, Infinity when one was never handled. */
const churnP95 = (d: DashboardFigures | undefined, rate: number): number =>
  quantileAll(d?.churn.find((c) => c.rate === rate)?.inputToFrame ?? [], 0.95);

/** The peak RSS of the explorer during the churn at rate over its idle figure. */
const explorerRatio = (e: ExplorerFigures | undefined, rate: number): number => {
  const c = e?.churn.find((x) => x.rate === rate);
  return c && e ? c.peak / e.idle : NaN;
};

/** Prints the table and the goal verdicts of every N measured. */
export function report(results: SizeResults[], rates: number[]): void {
  if (results.length === 0) return;
  const cols = results.map((r) => `N=${fmt(r.n)}`);
  const row = (what: string, cell: (r: SizeResults) => string): string[] => [
    what,
    ...results.map(cell),
  ];
  const rows: string[][] = [
    row('fill: node registrations per second (2 per service)', (r) =>
      r.fill
        ? `${fmt(r.fill.calls / r.fill.seconds || NaN)}/s${r.fill.errors ? `, ${r.fill.errors} errors` : ''}`
        : '-',
    ),
    row('dashboard: first screen (navigation to rows drawn)', (r) =>
      duration(medianAll(r.dashboard?.firstScreen ?? [])),
    ),
    row('dashboard: one search keystroke to next frame', (r) => {
      const k = r.dashboard?.keystroke ?? [];
      return k.length ? `${duration(medianAll(k))} (max ${duration(Math.max(...k))})` : '-';
    }),
    ...rates.map((rate) =>
      row(`dashboard under ${rate} changes/s: input to frame p95, long tasks`, (r) => {
        const c = r.dashboard?.churn.find((x) => x.rate === rate);
        if (!c) return '-';
        const lost = c.inputToFrame.filter((x) => x === Infinity).length;
        return (
          `${duration(churnP95(r.dashboard, rate))}, ${Number.isFinite(c.busy) ? `${fmt(c.busy * 100)}%` : '-'}` +
          (lost ? ` (${lost}/${c.inputToFrame.length} inputs not handled)` : '')
        );
      }),
    ),
    row('dashboard opening event / DOM nodes', (r) =>
      r.event || r.dashboard ? `${payload(r.event)} / ${fmt(r.dashboard?.domNodes ?? NaN)}` : '-',
    ),
    row('Registry.ListServices / --output json / /openapi.json (first build)', (r) =>
      r.payloads
        ? `${payload(r.payloads.list)} / ${payload(r.payloads.cli)} / ${payload(r.payloads.openapi)} (${duration(r.payloads.openapi.ms)}, then ${duration(r.payloads.openapiAgain.ms)})`
        : '-',
    ),
    row('ListServices {summary, limit 500} / /openapi.json?service=svc-1', (r) =>
      r.payloads ? `${payload(r.payloads.summary)} / ${payload(r.payloads.openapiOne)}` : '-',
    ),
    row(`explorer RSS idle -> during churn (${rates.join(', ')}/s)`, (r) =>
      r.explorer
        ? `${size(r.explorer.idle)} -> ${r.explorer.churn.map((c) => size(c.peak)).join(', ')}`
        : '-',
    ),
    row('control plane RSS first fill -> after 3 register/deregister cycles', (r) =>
      r.memory
        ? `${size(r.memory.first)} -> ${size(r.memory.cycled)}${r.memory.errors ? ` (${r.memory.errors} errors)` : ''}`
        : '-',
    ),
  ];
  console.log();
  console.log(table(['what', ...cols], rows));
  console.log(
    '\nfirst screen: median of the timed visits, from navigation start to the frame after the first ' +
      '`tbody tr[data-service]` appeared. keystroke: a digit typed in the search box, from its keydown to ' +
      'the first frame after the list changed (median, max). under churn: keystrokes every 0.5 s, each ' +
      'from its keydown to its next frame (rAF, then a task after paint); long tasks: share of the window ' +
      'the main thread spent in tasks over 50 ms. explorer: VmRSS, median idle and peak during each churn. ' +
      'control plane: VmRSS of `micro run` (registry, dashboard and gateway in one process).',
  );
  for (const r of results) {
    if (r.error) console.log(`N=${fmt(r.n)} stopped early: ${r.error}`);
    if (
      r.payloads &&
      Number.isFinite(r.payloads.openapiServices) &&
      r.payloads.openapiServices < r.n
    )
      console.log(
        `N=${fmt(r.n)}: the first /openapi.json described ${fmt(r.payloads.openapiServices)} services only`,
      );
    for (const c of r.explorer?.churn ?? [])
      if (c.errors) console.log(`N=${fmt(r.n)} explorer churn at ${c.rate}/s: ${c.errors} errors`);
    for (const c of r.dashboard?.churn ?? [])
      if (c.late || c.errors)
        console.log(
          `N=${fmt(r.n)} dashboard churn at ${c.rate}/s: ${c.late} changes late, ${c.errors} errors`,
        );
  }

  const goal = (
    what: string,
    value: (r: SizeResults) => number,
    show: (v: number) => string,
    ok: (v: number) => boolean,
  ): string[] =>
    row(what, (r) => {
      const v = value(r);
      return Number.isNaN(v) ? '-' : `${show(v)} ${v === Infinity ? 'NOT MET' : verdict(v, ok)}`;
    });
  const ratio = (v: number): string => `${fmt(v, 2)}x`;
  console.log('\nGoals (issue 15; stated for N=5,000, shown for every N):\n');
  console.log(
    table(
      ['goal', ...cols],
      [
        goal(
          `dashboard first screen <= ${GOAL.firstScreenMs} ms, no churn`,
          (r) => medianAll(r.dashboard?.firstScreen ?? []),
          duration,
          (v) => v <= GOAL.firstScreenMs,
        ),
        goal(
          `search keystroke to next frame <= ${GOAL.keystrokeMs} ms, no churn`,
          (r) => medianAll(r.dashboard?.keystroke ?? []),
          duration,
          (v) => v <= GOAL.keystrokeMs,
        ),
        goal(
          `input to frame p95 <= ${GOAL.churnP95Ms} ms during ${GOAL.churnRate} changes/s`,
          (r) => churnP95(r.dashboard, GOAL.churnRate),
          duration,
          (v) => v <= GOAL.churnP95Ms,
        ),
        goal(
          `explorer RSS during ${GOAL.churnRate} changes/s <= ${GOAL.explorerRatio}x idle`,
          (r) => explorerRatio(r.explorer, GOAL.churnRate),
          ratio,
          (v) => v <= GOAL.explorerRatio,
        ),
        goal(
          `control plane RSS after 3 cycles <= ${GOAL.memoryRatio}x first fill`,
          (r) => (r.memory ? r.memory.cycled / r.memory.first : NaN),
          ratio,
          (v) => v <= GOAL.memoryRatio,
        ),
      ],
    ),
  );
}

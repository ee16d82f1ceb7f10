// What a benchmark prints around its rounds: the machine, a Markdown table with a row per
// contender (medians over the rounds, ratios), and goal verdicts.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { LoopStats } from './closed-loop.ts';
import type { PerCall } from './protocol.ts';
import type { Series } from './rounds.ts';
import { fmt, median, table } from './stats.ts';

/** One column of the table: its heading and its cell for one contender's series. */
export interface Column<S> {
  head: string;
  cell(series: Series<S>): string;
}

/** The median over a contender's samples of pick; NaN when it has none. */
export const medianOf = <S>(series: Series<S> | undefined, pick: (s: S) => number): number =>
  median((series?.samples ?? []).map(pick));

/** The median of a contender's per-round ratio called name; NaN when it has none. */
export const medianRatio = <S>(series: Series<S> | undefined, name: string): number =>
  median(series?.ratios[name] ?? []);

/** A column of the median of pick, shown with decimals. */
export const medianColumn = <S>(head: string, pick: (s: S) => number, decimals = 0): Column<S> => ({
  head,
  cell: (x) => fmt(medianOf(x, pick), decimals),
});

/** The first columns of every load table: rate (`calls/s`), latency, and CPU time per unit (`call`). */
export const perCallColumns = <S extends LoopStats & PerCall>(
  rate: string,
  unit: string,
): Column<S>[] => [
  medianColumn(rate, (s) => s.callsPerSec),
  medianColumn('p50 ms', (s) => s.p50Ms, 2),
  medianColumn('p99 ms', (s) => s.p99Ms, 2),
  medianColumn(`server CPU us/${unit}`, (s) => s.serverUsPerCall, 1),
  medianColumn(`client CPU us/${unit}`, (s) => s.clientUsPerCall, 1),
];

/** A column of the median of the per-round ratio called name. */
export const ratioColumn = <S>(head: string, name: string): Column<S> => ({
  head,
  cell: (x) => ratio(medianRatio(x, name)),
});

/** A column of the errors over every round. */
export const errorsColumn = <S extends { errors: number }>(): Column<S> => ({
  head: 'errors',
  cell: (x) => fmt(x.samples.reduce((n, s) => n + s.errors, 0)),
});

/** The Markdown table: a row per contender, its label under `contender`, then the columns. */
export function seriesTable<S>(
  contenders: { key: string; label: string }[],
  series: Map<string, Series<S>>,
  columns: Column<S>[],
): string {
  const none: Series<S> = { samples: [], ratios: {} };
  return table(
    ['contender', ...columns.map((c) => c.head)],
    contenders.map((c) => [c.label, ...columns.map((col) => col.cell(series.get(c.key) ?? none))]),
  );
}

/** A ratio as `1.23x`; `-` when it was not measured. */
export const ratio = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '-');

/** A goal's verdict on value. */
export const verdict = (value: number, ok: (v: number) => boolean): string =>
  !Number.isFinite(value) ? 'n/a (not measured)' : ok(value) ? 'MET' : 'NOT MET';

/** The 1, 5 and 15 minute load averages. */
export const loadAverage = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** The Node version, the CPU count and the load average, for a benchmark's first line. */
export const machine = (): string =>
  `Node ${process.version}, ${os.cpus().length} CPUs, load average ${loadAverage()}`;

/** The installed version of package name, for labels; `?` when it cannot be read. */
export function packageVersion(name: string): string {
  try {
    const pkg = new URL('package.json', import.meta.resolve(name));
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

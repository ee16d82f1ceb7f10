// The text `micro trace` prints: the list of traces, a trace's waterfall with its log lines, and
// the service map. Every value from the store goes through printable(), so no control character
// of a span's name or a log line reaches the terminal; colour (red for errors, dim for notes) is
// added only around escaped text, and only when asked (stdout is a TTY).
import type { LogRecord } from '../../platform/logs/logs.ts';
import type { ServiceMap, TraceDetail, TraceSummary } from '../../platform/trace/trace.ts';
import { printable } from '../../registry/printable.ts';
import { bar, spanTime, waterfall } from '../../ui/waterfall.ts';
import { table } from '../shared/output.ts';
import type { TraceLogs } from '../../ui/trace-logs.ts';

/** A time as the CLI shows it: `2026-12-07 15:50:01.123` (UTC). */
export const when = (ms: number): string =>
  new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** The list of traces as a table, newest first as the service gave them. */
export function listText(traces: TraceSummary[]): string {
  if (traces.length === 0) return 'no traces matched';
  return table(
    ['TRACE', 'START', 'DURATION', 'SPANS', 'ERRORS', 'ROOT'],
    traces.map((t) => [
      t.traceId,
      when(t.start),
      spanTime(t.duration),
      String(t.spans),
      String(t.errors),
      `${t.service} ${t.endpoint ?? t.name}`,
    ]),
  );
}

/** How the waterfall is drawn. */
export interface Style {
  /** Colour errors red and notes dim (ANSI). */
  colour: boolean;
  /** Cells of the bars. */
  width: number;
}

const RED = (s: string) => `\x1b[31m${s}\x1b[39m`;
const DIM = (s: string) => `\x1b[2m${s}\x1b[22m`;

/** Pads escaped cells to their column widths; the last column is left as it is. */
function aligned(rows: string[][]): string[][] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))));
}

/** A trace as a waterfall, one row per span indented by depth, then its log lines (or a note). */
export function waterfallText(detail: TraceDetail, logs: TraceLogs, style: Style): string {
  const w = waterfall(detail.spans);
  const errors = w.rows.filter((r) => r.span.status === 'error').length;
  const head =
    `trace ${detail.traceId}  ${when(w.start)}  ${spanTime(w.duration)}  ` +
    `${w.rows.length} span${w.rows.length === 1 ? '' : 's'}  ${errors} error${errors === 1 ? '' : 's'}`;
  const scale = `0${' '.repeat(Math.max(1, style.width - 1 - spanTime(w.duration).length))}${spanTime(w.duration)}`;
  const cells = aligned([
    ['  SPAN', 'SERVICE', 'DURATION', scale],
    ...w.rows.map((r) => [
      `${r.span.status === 'error' ? '! ' : '  '}${'  '.repeat(r.depth)}${printable(r.span.name, false)}`,
      printable(r.span.service, false),
      spanTime(r.span.duration),
      bar(r.offset, r.span.duration, w.duration, style.width),
    ]),
  ]);
  const lines = cells.map((c, i) => {
    const row = w.rows[i - 1];
    const line = c.join('  ');
    if (row?.span.status !== 'error') return line.trimEnd();
    const why = `${row.span.code ?? ''} ${row.span.message ?? ''}`.trim();
    const marked = why ? `${line}  ${printable(why, false)}` : line.trimEnd();
    return style.colour ? RED(marked) : marked;
  });
  return [printable(head), '', ...lines, '', ...logsText(logs, style)].join('\n').trimEnd();
}

/** The log lines of a trace under the waterfall. */
function logsText(logs: TraceLogs, style: Style): string[] {
  if ('note' in logs) return [style.colour ? DIM(printable(logs.note)) : printable(logs.note)];
  if (logs.records.length === 0) return ['no log lines in this trace'];
  const line = (r: LogRecord) =>
    `${when(r.time)}  ${printable(r.service, false)}  ${r.level.toUpperCase().padEnd(5)}  ${printable(r.msg, false)}`;
  const text = logs.records.map((r) => {
    const l = line(r);
    return style.colour && (r.level === 'error' || r.level === 'fatal') ? RED(l) : l;
  });
  return [`LOGS (${logs.records.length})`, ...text];
}

/** Calls a second: 12.5, 0.25, and two significant digits below 0.01 (0.0011). */
export const perSecond = (n: number): string =>
  n === 0 ? '0' : n >= 10 ? n.toFixed(1) : n >= 0.01 ? n.toFixed(2) : n.toPrecision(2);

/** The service map as a table of edges, with the window it covers. */
export function mapText(map: ServiceMap): string {
  const minutes = Math.round((map.until - map.since) / 60_000);
  const head = `${map.services.length} service${map.services.length === 1 ? '' : 's'}, ${map.edges.length} edge${map.edges.length === 1 ? '' : 's'} from ${when(map.since)} to ${when(map.until)} (${minutes} min)`;
  if (map.edges.length === 0) return `${head}\nno calls between services in this window`;
  const edges = [...map.edges].sort((a, b) => a.from.localeCompare(b.from) || b.calls - a.calls);
  return `${head}\n\n${table(
    ['EDGE', 'CALLS', 'CALLS/S', 'ERRORS/S', 'P50', 'P99'],
    edges.map((e) => [
      `${e.from} -> ${e.to}`,
      String(e.calls),
      perSecond(e.rate),
      perSecond(e.errorRate),
      spanTime(e.p50),
      spanTime(e.p99),
    ]),
  )}`;
}

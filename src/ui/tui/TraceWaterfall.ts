// The last call's trace on the call screen: a header line (trace id, duration, spans, errors) and
// one line per span, indented by depth, with its service, duration and a bar placed and scaled
// to the trace; failed spans in red. At most `rows` lines; the rest is counted.
import { Box } from 'ink';
import { createElement as h, type ReactElement } from 'react';
import { bar, spanTime, waterfall } from '../waterfall.ts';
import type { LastTrace } from './use-last-trace.ts';
import { text } from './text.ts';

interface Props {
  last: LastTrace;
  /** Lines it may take, the header included (at least 2). */
  rows: number;
  width: number;
}

/** Lines the trace needs: its header and a line per span (1 while there is only a note). */
export const traceRows = (last: LastTrace): number =>
  last.phase === 'none' ? 0 : last.detail ? 1 + last.detail.spans.length : 1;

/** The compact waterfall of the last call's trace. */
export function TraceWaterfall({ last, rows, width }: Props): ReactElement | null {
  if (last.phase === 'none') return null;
  if (!last.detail)
    return text(
      { dimColor: true, wrap: 'truncate-end' },
      last.phase === 'waiting'
        ? 'TRACE  looking for this call’s trace…'
        : `TRACE  ${last.note ?? ''}`,
    );
  const w = waterfall(last.detail.spans);
  const errors = w.rows.filter((r) => r.span.status === 'error').length;
  const barWidth = Math.max(10, Math.min(40, Math.floor(width / 3)));
  const nameWidth = Math.max(12, width - barWidth - 24);
  const room = Math.max(1, rows - 1);
  const shown = w.rows.length > room ? w.rows.slice(0, room - 1) : w.rows;
  const hidden = w.rows.length - shown.length;
  return h(
    Box,
    { flexDirection: 'column' },
    text(
      { wrap: 'truncate-end' },
      text({ bold: true }, 'TRACE  '),
      `${last.detail.traceId}  ${spanTime(w.duration)}  ${w.rows.length} spans`,
      errors > 0 ? text({ color: 'red' }, `  ${errors} error${errors === 1 ? '' : 's'}`) : '',
    ),
    ...shown.map((r) => {
      const name = `${'  '.repeat(r.depth)}${r.span.name}`;
      const cut = name.length > nameWidth ? `${name.slice(0, nameWidth - 1)}…` : name;
      const failed = r.span.status === 'error';
      return text(
        { key: r.span.spanId, wrap: 'truncate-end', ...(failed && { color: 'red' }) },
        `${cut.padEnd(nameWidth)} ${r.span.service.slice(0, 12).padEnd(12)} ${spanTime(r.span.duration).padStart(8)} `,
        text(
          { color: failed ? 'red' : 'cyan' },
          bar(r.offset, r.span.duration, w.duration, barWidth),
        ),
      );
    }),
    hidden > 0
      ? text(
          { dimColor: true },
          `… ${hidden} more span${hidden === 1 ? '' : 's'}: micro trace get ${last.detail.traceId}`,
        )
      : null,
  );
}

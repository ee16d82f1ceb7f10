// A list screen with a cursor: a title line, a header, the rows that fit around the cursor, a status.
import { Box } from 'ink';
import { createElement as h, type ReactElement, type ReactNode } from 'react';
import { visibleRange } from './layout.ts';
import { listRow, text } from './text.ts';

/** What a list screen shows. */
export interface ListViewProps<T> {
  /** Rows the screen may use. */
  height: number;
  /** The list's name and count, in bold. */
  title: string;
  /** Shown beside the title (the services' filter). */
  beside?: ReactNode;
  /** Why the last read failed, in red beside the title. */
  error?: string;
  /** The column names, laid out as the rows are. */
  header: string;
  items: T[];
  /** The index of the highlighted item. */
  cursor: number;
  /** A unique key for an item. */
  keyOf: (item: T) => string;
  /** An item's row. */
  line: (item: T) => string;
  /** Shown under the rows (loading, or why there are none). */
  status: string | undefined;
}

/** Lays out a list screen; it holds no state (the screens keep the cursor and read the keys). */
export function listView<T>(p: ListViewProps<T>): ReactElement {
  // Rows for the list itself: minus the title, the header and a status line.
  const { start, end } = visibleRange(p.items.length, p.cursor, p.height - 3);
  return h(
    Box,
    { flexDirection: 'column', height: p.height, overflow: 'hidden' },
    h(
      Box,
      { gap: 2 },
      h(Box, { flexShrink: 0 }, text({ bold: true }, p.title)),
      p.beside ?? null,
      p.error ? text({ color: 'red', wrap: 'truncate-end' }, p.error) : null,
    ),
    text({ dimColor: true }, `  ${p.header}`),
    ...p.items
      .slice(start, end)
      .map((item, i) => listRow(p.keyOf(item), start + i === p.cursor, p.line(item))),
    p.status ? text({ dimColor: true }, p.status) : null,
  );
}

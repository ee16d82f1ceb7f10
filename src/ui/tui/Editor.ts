// A multi-line text area showing a TextBuffer with its cursor, scrolled to keep the cursor in view.
import { Box } from 'ink';
import { createElement as h, type ReactElement } from 'react';
import { visibleRange } from './layout.ts';
import type { TextBuffer } from './text-buffer.ts';
import { text } from './text.ts';

interface Props {
  buffer: TextBuffer;
  title: string;
  /** Rows of text shown (the border adds two). */
  rows: number;
  focused: boolean;
}

/** The editor box; the character under the cursor is shown inverted. */
export function Editor({ buffer, title, rows, focused }: Props): ReactElement {
  const { start, end } = visibleRange(buffer.lines.length, buffer.row, rows);
  const lines = buffer.lines.slice(start, end).map((line, i) => {
    const row = start + i;
    if (row !== buffer.row || !focused)
      return text({ key: row, wrap: 'truncate-end' }, line || ' ');
    const at = line[buffer.col] ?? ' ';
    return text(
      { key: row, wrap: 'truncate-end' },
      line.slice(0, buffer.col),
      text({ inverse: true }, at),
      line.slice(buffer.col + 1),
    );
  });
  return h(
    Box,
    {
      flexDirection: 'column',
      borderStyle: 'round',
      borderColor: focused ? 'cyan' : 'gray',
      paddingX: 1,
      flexShrink: 0,
    },
    text({ dimColor: true }, title),
    ...lines,
  );
}

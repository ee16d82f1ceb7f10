// The bottom line: the keys that work on the current screen.
import { Box } from 'ink';
import { createElement as h, type ReactElement } from 'react';
import { text } from './text.ts';

/** A key and what it does, as shown in the footer: ['c', 'call']. */
export type KeyHint = readonly [key: string, action: string];

/** Shows each key in bold followed by its action, on one line. */
export function Footer({ keys }: { keys: readonly KeyHint[] }): ReactElement {
  return h(
    Box,
    { flexShrink: 0, gap: 2 },
    ...keys.map(([key, action]) =>
      text(
        { key },
        text({ bold: true, color: 'cyan' }, key),
        text({ dimColor: true }, ` ${action}`),
      ),
    ),
  );
}

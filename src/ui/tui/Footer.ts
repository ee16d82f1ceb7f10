// The bottom line: the keys that work on the current screen.
import { Box, Text } from 'ink';
import { createElement as h, type ReactElement } from 'react';

/** A key and what it does, as shown in the footer: ['c', 'call']. */
export type KeyHint = readonly [key: string, action: string];

/** Shows each key in bold followed by its action, on one line. */
export function Footer({ keys }: { keys: readonly KeyHint[] }): ReactElement {
  return h(
    Box,
    { flexShrink: 0, gap: 2 },
    ...keys.map(([key, action]) =>
      h(
        Text,
        { key },
        h(Text, { bold: true, color: 'cyan' }, key),
        h(Text, { dimColor: true }, ` ${action}`),
      ),
    ),
  );
}

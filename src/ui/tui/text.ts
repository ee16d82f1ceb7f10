// Ink's Text for the explorer: every string it shows has its control characters escaped.
import { Text } from 'ink';
import {
  createElement as h,
  type ComponentProps,
  type Key,
  type ReactElement,
  type ReactNode,
} from 'react';
import { printable } from '../../registry/printable.ts';

/**
 * h(Text, props, ...children) with each string child shown through printable(): names, metadata,
 * schemas, responses and errors come from other processes, and must not drive the terminal.
 */
export function text(
  props: (Omit<ComponentProps<typeof Text>, 'children'> & { key?: Key }) | null,
  ...children: ReactNode[]
): ReactElement {
  return h(Text, props, ...children.map((c) => (typeof c === 'string' ? printable(c, false) : c)));
}

/** One row of a list with a cursor: marked `› ` and in bold cyan when selected, cut at the edge. */
export function listRow(
  key: string,
  selected: boolean,
  line: string,
  ...after: ReactNode[]
): ReactElement {
  return text(
    { key, color: selected ? 'cyan' : undefined, bold: selected, wrap: 'truncate-end' },
    `${selected ? '› ' : '  '}${line}`,
    ...after,
  );
}

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

// Driving Ink views rendered by ink-testing-library: key sequences and waiting for a frame.
import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';

/** What a terminal sends for the keys the explorer uses. */
export const keys = {
  enter: '\r',
  escape: '\x1b',
  backspace: '\x7f',
  up: '\x1b[A',
  down: '\x1b[B',
  pageUp: '\x1b[5~',
  pageDown: '\x1b[6~',
  ctrlS: '\x13',
  ctrlE: '\x05',
  ctrlU: '\x15',
} as const;

/** A rendered view: its last frame. */
interface Frames {
  lastFrame(): string | undefined;
}

/**
 * Resolves with the last frame once it satisfies want (text it contains, or a predicate), or
 * rejects after ms showing the frame it had: waits for an event, bounded, never a fixed sleep.
 */
export async function frameWith(
  view: Frames,
  want: string | RegExp | ((frame: string) => boolean),
  ms = 5000,
): Promise<string> {
  const test = (f: string): boolean =>
    typeof want === 'string' ? f.includes(want) : want instanceof RegExp ? want.test(f) : want(f);
  const deadline = Date.now() + ms;
  for (;;) {
    const frame = view.lastFrame() ?? '';
    if (test(frame)) return frame;
    if (Date.now() > deadline)
      throw new Error(`no frame with ${String(want)} within ${ms} ms; the last was:\n${frame}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Renders element on a fake terminal, runs `steps` on the view, and unmounts it even if they fail. */
export async function withView(
  element: ReactElement,
  steps: (view: ReturnType<typeof render>) => Promise<void>,
): Promise<void> {
  const view = render(element);
  try {
    await steps(view);
  } finally {
    view.unmount();
  }
}

/** Writes keys once the view has settled, so that the screen they are meant for is listening. */
export async function press(view: { stdin: { write(data: string): void } }, ...sequence: string[]) {
  for (const key of sequence) {
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    view.stdin.write(key);
  }
}

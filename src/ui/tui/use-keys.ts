// Key presses, one at a time: keys typed faster than the terminal is read arrive as one string.
import { useInput, type Key } from 'ink';

/** A handler of one key press. */
export type KeyHandler = (input: string, key: Key) => void;

/**
 * Like ink's useInput, but printable text of several characters ("kc", pasted JSON) is handed
 * over one character at a time, so each is a key. Handlers read state through refs, since
 * several keys are handled before the next render.
 */
export function useKeys(handler: KeyHandler): void {
  useInput((input, key) => {
    if (input.length <= 1 || key.ctrl || key.meta) return handler(input, key);
    for (const c of input) handler(c, { ...key, shift: /[A-Z]/.test(c) });
  });
}

// The request editor's text and cursor, edited by keys: pure functions, so the component stays thin.
import type { Key } from 'ink';

/** Lines of text and a cursor (row, column) inside them. */
export interface TextBuffer {
  lines: string[];
  row: number;
  col: number;
}

/** A buffer holding text, with the cursor inside its first empty string ("") or else at the end. */
export function textBuffer(text: string): TextBuffer {
  const lines = text.split('\n');
  const row = lines.findIndex((l) => l.includes('""'));
  if (row >= 0) return { lines, row, col: (lines[row] ?? '').indexOf('""') + 1 };
  const last = lines.length - 1;
  return { lines, row: last, col: (lines[last] ?? '').length };
}

/** The buffer's text. */
export function bufferText(b: TextBuffer): string {
  return b.lines.join('\n');
}

/** Inserts text (which may hold newlines) at the cursor. */
export function insertText(b: TextBuffer, text: string): TextBuffer {
  const line = b.lines[b.row] ?? '';
  const parts = text.replace(/\r\n?/g, '\n').replace(/\t/g, '  ').split('\n');
  const before = line.slice(0, b.col);
  const after = line.slice(b.col);
  const inserted =
    parts.length === 1
      ? [before + parts[0] + after]
      : [before + parts[0], ...parts.slice(1, -1), (parts.at(-1) ?? '') + after];
  const lines = [...b.lines.slice(0, b.row), ...inserted, ...b.lines.slice(b.row + 1)];
  const row = b.row + parts.length - 1;
  const col = parts.length === 1 ? b.col + (parts[0] ?? '').length : (parts.at(-1) ?? '').length;
  return { lines, row, col };
}

/** Starts a new line at the cursor, indented like the current one. */
function newline(b: TextBuffer): TextBuffer {
  const indent = /^\s*/.exec(b.lines[b.row] ?? '')?.[0] ?? '';
  return insertText(b, `\n${indent}`);
}

/** Deletes the character before the cursor, joining lines at a line start. */
function backspace(b: TextBuffer): TextBuffer {
  if (b.col > 0) {
    const line = b.lines[b.row] ?? '';
    const lines = [...b.lines];
    lines[b.row] = line.slice(0, b.col - 1) + line.slice(b.col);
    return { lines, row: b.row, col: b.col - 1 };
  }
  if (b.row === 0) return b;
  const prev = b.lines[b.row - 1] ?? '';
  const lines = [...b.lines];
  lines.splice(b.row - 1, 2, prev + (b.lines[b.row] ?? ''));
  return { lines, row: b.row - 1, col: prev.length };
}

/** Deletes the character under the cursor, joining lines at a line end. */
function deleteForward(b: TextBuffer): TextBuffer {
  const line = b.lines[b.row] ?? '';
  if (b.col < line.length) {
    const lines = [...b.lines];
    lines[b.row] = line.slice(0, b.col) + line.slice(b.col + 1);
    return { ...b, lines };
  }
  if (b.row >= b.lines.length - 1) return b;
  const lines = [...b.lines];
  lines.splice(b.row, 2, line + (b.lines[b.row + 1] ?? ''));
  return { ...b, lines };
}

/** Moves the cursor by rows and columns, wrapping across line ends, kept inside the text. */
function move(b: TextBuffer, rows: number, cols: number): TextBuffer {
  const len = (r: number): number => (b.lines[r] ?? '').length;
  if (rows !== 0) {
    const row = Math.max(0, Math.min(b.lines.length - 1, b.row + rows));
    return { ...b, row, col: Math.min(b.col, len(row)) };
  }
  if (cols < 0 && b.col === 0 && b.row > 0) return { ...b, row: b.row - 1, col: len(b.row - 1) };
  if (cols > 0 && b.col === len(b.row) && b.row < b.lines.length - 1)
    return { ...b, row: b.row + 1, col: 0 };
  return { ...b, col: Math.max(0, Math.min(len(b.row), b.col + cols)) };
}

/**
 * Applies one key press to the buffer; undefined when the key is not an editing key (Esc, Ctrl
 * combinations, Tab), which the caller may use for commands. Ctrl-U empties the buffer.
 */
export function editKey(b: TextBuffer, input: string, key: Key): TextBuffer | undefined {
  if (key.ctrl && input === 'u') return { lines: [''], row: 0, col: 0 };
  if (key.escape || key.ctrl || key.meta || key.tab) return undefined;
  if (key.return) return newline(b);
  if (key.backspace) return backspace(b);
  if (key.delete) return deleteForward(b);
  if (key.upArrow) return move(b, -1, 0);
  if (key.downArrow) return move(b, 1, 0);
  if (key.leftArrow) return move(b, 0, -1);
  if (key.rightArrow) return move(b, 0, 1);
  if (key.home) return { ...b, col: 0 };
  if (key.end) return { ...b, col: (b.lines[b.row] ?? '').length };
  if (key.pageUp || key.pageDown) return undefined;
  // eslint-disable-next-line no-control-regex
  const text = input.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '');
  return text === '' ? undefined : insertText(b, text);
}

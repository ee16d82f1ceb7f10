// Key order and cursors: every store lists in UTF-8 byte order; memory and SQLite hand out the
// last key of a page, base64url, as the opaque cursor.
import { invalid, shown } from './errors.ts';

/** The key a page ended on, as the opaque cursor memory and SQLite hand out. */
export const encodeCursor = (key: string): string => Buffer.from(key).toString('base64url');

/** The key a cursor from encodeCursor names; a 400 for anything else. */
export function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString();
  if (cursor === '' || encodeCursor(key) !== cursor)
    throw invalid(`cursor ${shown(cursor)} is not a next this store gave`);
  return key;
}

/**
 * Compares keys in UTF-8 byte order (code point order), the order every store lists in. JavaScript
 * compares UTF-16 units, which puts U+E000..U+FFFF after the surrogates of U+10000 and up: those
 * units are moved so that surrogates come last.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

const codePointRank = (unit: number): number =>
  unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit;

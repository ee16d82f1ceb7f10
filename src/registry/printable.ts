// Text from other processes made safe to show on a terminal: control characters become visible.

// DEL and C1 controls (CSI...), and invisible Unicode formatting a terminal or a reader can be
// fooled by: bidi marks, overrides and isolates, zero-width characters, line and paragraph
// separators, the byte order mark. JSON.stringify leaves these as they are.
const WIDE = '\\x7f-\\x9f\\u061c\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff';
// C0 controls (ESC among them) but \t and \n; and all of C0.
const CONTROLS = new RegExp(`[\\x00-\\x08\\x0b-\\x1f${WIDE}]`, 'g');
const CONTROLS_AND_BREAKS = new RegExp(`[\\x00-\\x1f${WIDE}]`, 'g');
const ANY_CONTROL = new RegExp(`[\\x00-\\x1f${WIDE}]`);
const UNESCAPED_BY_JSON = new RegExp(`[${WIDE}]`, 'g');

const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * The text with every control character shown as an escape (`\u001b`), so that remote data (a
 * service name, metadata, an error) cannot move the cursor, recolour or rewrite a terminal. With
 * `lines` (the default) \n and \t are kept; without, a value is kept on one line (a table cell).
 */
export function printable(text: string, lines = true): string {
  return text.replace(lines ? CONTROLS : CONTROLS_AND_BREAKS, escape);
}

/** JSON text (from JSON.stringify) with the control characters JSON leaves raw escaped too. */
export function printableJson(json: string): string {
  return json.replace(UNESCAPED_BY_JSON, escape);
}

/** True when the text has a control character printable() would escape (\n and \t count). */
export function hasControls(text: string): boolean {
  return ANY_CONTROL.test(text);
}

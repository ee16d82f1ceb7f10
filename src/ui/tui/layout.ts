// Fitting lists and text into the rows a screen has.

/** The slice [start, end) of a list of count items that shows the cursor within height rows. */
export function visibleRange(
  count: number,
  cursor: number,
  height: number,
): { start: number; end: number } {
  const rows = Math.max(1, height);
  if (count <= rows) return { start: 0, end: count };
  const start = Math.min(Math.max(0, cursor - Math.floor(rows / 2)), count - rows);
  return { start, end: start + rows };
}

/** Metadata as `k=v k=v`, or `-` when empty. */
export function pairs(m: Record<string, string> | undefined): string {
  const entries = Object.entries(m ?? {});
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}=${v}`).join(' ');
}

/** A value in a column of width, cut with an ellipsis so the next column keeps its place. */
export const cell = (v: string, width: number): string =>
  v.length < width ? v.padEnd(width) : `${v.slice(0, width - 2)}… `;

/** Text cut to at most max lines, the last saying how many were left out. */
export function clipLines(lines: string[], max: number): string[] {
  if (lines.length <= max) return lines;
  const keep = Math.max(0, max - 1);
  return [...lines.slice(0, keep), `… ${lines.length - keep} more`];
}

/** Milliseconds as shown: 0.8 ms, 12 ms, 1.2 s. */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Rows to move for a key press: ↑ and k up, ↓ and j down. Keys typed faster than they are read
 * arrive as one string ("jjj"), so every j and k in it counts.
 */
export function steps(input: string, key: { upArrow: boolean; downArrow: boolean }): number {
  if (key.upArrow) return -1;
  if (key.downArrow) return 1;
  if (!/^[jk]+$/.test(input)) return 0;
  let n = 0;
  for (const c of input) n += c === 'j' ? 1 : -1;
  return n;
}

/** How far a time is from now: `in 12s`, `3m ago`, `2h ago`, `4d ago`. */
export function relativeTime(at: number, now = Date.now()): string {
  const ms = at - now;
  const abs = Math.abs(ms);
  const span =
    abs < 60_000
      ? `${Math.round(abs / 1000)}s`
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)}m`
        : abs < 86_400_000
          ? `${Math.round(abs / 3_600_000)}h`
          : `${Math.round(abs / 86_400_000)}d`;
  return ms >= 0 ? `in ${span}` : `${span} ago`;
}

/** A JSON value as indented lines (`-` for undefined). */
export function jsonLines(value: unknown): string[] {
  return value === undefined ? ['-'] : JSON.stringify(value, null, 2).split('\n');
}

/** The cursor moved by a key: ↑↓ jk one row, page up/down a screen, kept within count. */
export function moved(
  cursor: number,
  count: number,
  input: string,
  key: { upArrow: boolean; downArrow: boolean; pageUp: boolean; pageDown: boolean },
  page: number,
): number | undefined {
  const step = steps(input, key);
  if (step === 0 && !key.pageUp && !key.pageDown) return undefined;
  const by = key.pageUp ? -page : key.pageDown ? page : step;
  return Math.max(0, Math.min(count - 1, cursor + by));
}

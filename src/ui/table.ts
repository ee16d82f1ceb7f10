// Rows laid out in aligned columns under a header, as the CLI prints listings and the bot replies
// with tables. Guarantees: every cell goes through printable() on one line, so remote data cannot
// break the layout or reach the terminal as control characters. Limits: widths are counted in
// UTF-16 units, so wide characters (CJK, emoji) may misalign a column.
import { printable } from '../registry/printable.ts';

/** Lays rows out in aligned columns under a header; a cell's control characters and line breaks are escaped. */
export function table(header: string[], rows: string[][]): string {
  const t = new TableWriter(header);
  return [...t.lines(rows)].join('\n');
}

/**
 * A table printed as its rows arrive (a listing's pages): the columns are as wide as the first
 * batch needs, widening for a later batch that needs more; one batch is exactly table()'s output.
 */
export class TableWriter {
  readonly #header: string[];
  #widths: number[] | undefined;

  constructor(header: string[]) {
    this.#header = header;
  }

  /** The lines for these rows, the header first when they are the first. */
  *lines(rows: string[][]): Generator<string> {
    rows = rows.map((r) => r.map((c) => printable(c, false)));
    const first = this.#widths === undefined;
    const widths = (this.#widths ??= this.#header.map((h) => h.length));
    for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
    const line = (cells: string[]) =>
      cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
    if (first) yield line(this.#header);
    for (const r of rows) yield line(r);
  }

  /** Whether any line was written yet. */
  get started(): boolean {
    return this.#widths !== undefined;
  }
}

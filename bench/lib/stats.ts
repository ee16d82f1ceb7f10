// Numbers for benchmarks: a fixed-size latency histogram, medians and a plain-text table.

/** Latencies in 10 us buckets up to 10 s: recording is one array increment, memory is fixed. */
export class LatencyHistogram {
  static readonly #perMs = 100;
  readonly #buckets = new Uint32Array(10_000 * LatencyHistogram.#perMs);
  #count = 0;

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    const i = Math.floor(ms * LatencyHistogram.#perMs);
    this.#buckets[i < this.#buckets.length ? i : this.#buckets.length - 1]!++;
    this.#count++;
  }

  /** Forgets everything recorded. */
  reset(): void {
    this.#buckets.fill(0);
    this.#count = 0;
  }

  get count(): number {
    return this.#count;
  }

  /** The latency in ms below which fraction q (0..1) of the recorded ones fall (bucket midpoint). */
  quantile(q: number): number {
    if (this.#count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < this.#buckets.length; i++) {
      seen += this.#buckets[i]!;
      if (seen >= rank) return (i + 0.5) / LatencyHistogram.#perMs;
    }
    return this.#buckets.length / LatencyHistogram.#perMs;
  }
}

/** The median of the finite values; NaN when there are none. */
export function median(values: number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Formats a number with a fixed count of decimals and thousands separators; `-` for NaN. */
export function fmt(n: number, decimals = 0): string {
  if (!Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
}

/** Renders rows as a Markdown table; columns after the first are right-aligned. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

/** The nearest-rank quantile q (0..1) of the finite values; NaN when there are none. */
export function quantile(values: number[], q: number): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))]!;
}

// A trace laid out as a waterfall, for the CLI (`micro trace get`), the explorer and the tests:
// spans in tree order (each after its parent, siblings by start), with their depth and their
// offset from the trace's start, and a bar of block characters placed and scaled to the trace.
// Spans whose parent is not kept are shown as roots at depth 0; a cycle in parent ids (hostile
// data) cannot loop: each span is placed once.
import type { SpanRecord } from '../platform/trace/trace.ts';

/** One row of a waterfall. */
export interface WaterfallRow {
  span: SpanRecord;
  /** How deep it is in the tree: 0 for a root. */
  depth: number;
  /** Milliseconds from the trace's start to the span's. */
  offset: number;
}

/** A trace's rows and its extent. */
export interface Waterfall {
  rows: WaterfallRow[];
  /** The earliest start, ms since the epoch. */
  start: number;
  /** From the earliest start to the latest end, ms. */
  duration: number;
}

/** Lays spans out in tree order with their depth and offset. */
export function waterfall(spans: readonly SpanRecord[]): Waterfall {
  const start = spans.length === 0 ? 0 : Math.min(...spans.map((s) => s.start));
  const end = spans.length === 0 ? 0 : Math.max(...spans.map((s) => s.start + s.duration));
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, SpanRecord[]>();
  const roots: SpanRecord[] = [];
  for (const s of spans) {
    const parent = s.parentSpanId;
    if (parent === undefined || parent === s.spanId || !ids.has(parent)) roots.push(s);
    else children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const byStart = (a: SpanRecord, b: SpanRecord) => a.start - b.start;
  const rows: WaterfallRow[] = [];
  const placed = new Set<SpanRecord>();
  const visit = (s: SpanRecord, depth: number): void => {
    if (placed.has(s)) return;
    placed.add(s);
    rows.push({ span: s, depth, offset: s.start - start });
    for (const c of (children.get(s.spanId) ?? []).sort(byStart)) visit(c, depth + 1);
  };
  for (const r of roots.sort(byStart)) visit(r, 0);
  // Spans only reachable through a cycle: shown as roots, never lost.
  for (const s of [...spans].sort(byStart)) visit(s, 0);
  return { rows, start, duration: end - start };
}

/**
 * A bar `width` cells wide: blank up to the span's offset, then full blocks for its duration (at
 * least one cell, so an instant span still shows), blank after.
 */
export function bar(offset: number, duration: number, total: number, width: number): string {
  if (width <= 0) return '';
  const scale = total > 0 ? width / total : 0;
  const from = Math.min(width - 1, Math.max(0, Math.floor(offset * scale)));
  const to = Math.min(width, Math.max(from + 1, Math.round((offset + duration) * scale)));
  return ' '.repeat(from) + '█'.repeat(to - from) + ' '.repeat(width - to);
}

/** A duration for a waterfall: `0.42ms`, `12.3ms`, `1.25s`, `2m05s`. */
export function spanTime(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 10) return `${ms.toFixed(2)}ms`;
  if (ms < 1000) return `${ms.toFixed(1)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** Whether a span failed: an error status. */
export const failed = (s: SpanRecord): boolean => s.status === 'error';

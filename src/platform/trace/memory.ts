// The in-process Trace: spans in maps, for tests and single-process programs. Same checks, bounds
// and answers as the control plane's SQLite one: at most `keep` spans and none older than `maxAge`
// (by start), the oldest dropped first; a span written again (same trace and span id) is replaced.
// Dropping past `keep` sorts every span kept, so it suits the test-sized stores it is meant for.
import { notFound } from '../../runtime/errors.ts';
import { buildMap, matches, peerOf, summarize, type MapCall } from './summary.ts';
import type { SpanRecord, Trace, TraceSummary } from './trace.ts';
import {
  checkQuery,
  checkSpans,
  checkTraceId,
  checkWindow,
  TRACE_BOUNDS,
  TRACE_ID,
  type TraceBounds,
} from './validate.ts';

interface Kept {
  spans: Map<string, SpanRecord>;
  summary: TraceSummary;
  endpoints: Set<string>;
}

/** A Trace holding its spans in this process. */
export function createMemoryTrace(options: TraceBounds = {}): Trace {
  const keep = options.keep ?? TRACE_BOUNDS.keep;
  const maxAge = options.maxAge ?? TRACE_BOUNDS.maxAge;
  const now = options.now ?? Date.now;
  const traces = new Map<string, Kept>();
  let total = 0;
  let oldest = Infinity;

  const resummarize = (traceId: string): void => {
    const t = traces.get(traceId);
    if (!t) return;
    if (t.spans.size === 0) {
      traces.delete(traceId);
      return;
    }
    const spans = [...t.spans.values()];
    t.summary = summarize(traceId, spans);
    t.endpoints = new Set(spans.flatMap((s) => (s.endpoint === undefined ? [] : [s.endpoint])));
  };
  const drop = (victims: SpanRecord[]): void => {
    const touched = new Set<string>();
    for (const s of victims) {
      if (traces.get(s.traceId)?.spans.delete(s.spanId)) total--;
      touched.add(s.traceId);
    }
    for (const id of touched) resummarize(id);
  };
  // Drops the spans past maxAge, then the oldest past keep.
  const prune = (): void => {
    const cutoff = now() - maxAge;
    if (oldest >= cutoff && total <= keep) return;
    const all = [...traces.values()].flatMap((t) => [...t.spans.values()]);
    all.sort((a, b) => a.start - b.start);
    let cut = 0;
    while (cut < all.length && (all[cut]!.start < cutoff || all.length - cut > keep)) cut++;
    drop(all.slice(0, cut));
    oldest = all[cut]?.start ?? Infinity;
  };

  return {
    async write(input) {
      const spans = checkSpans(input);
      const touched = new Set<string>();
      for (const s of spans) {
        let t = traces.get(s.traceId);
        if (!t) {
          t = { spans: new Map(), summary: summarize(s.traceId, [s]), endpoints: new Set() };
          traces.set(s.traceId, t);
        }
        if (!t.spans.has(s.spanId)) total++;
        t.spans.set(s.spanId, s);
        touched.add(s.traceId);
        if (s.start < oldest) oldest = s.start;
      }
      for (const id of touched) resummarize(id);
      prune();
    },
    async list(query) {
      const q = checkQuery(query);
      prune();
      return [...traces.values()]
        .filter((t) => matches(t.summary, t.endpoints, q))
        .map((t) => t.summary)
        .sort((a, b) => b.start - a.start)
        .slice(0, q.limit);
    },
    async get(traceId) {
      checkTraceId(traceId);
      prune();
      const t = traces.get(traceId);
      if (!t) throw notFound(TRACE_ID, `no trace ${traceId} is kept`);
      return { traceId, spans: [...t.spans.values()].sort((a, b) => a.start - b.start) };
    },
    async map(query) {
      const window = checkWindow(query, now());
      prune();
      const calls: MapCall[] = [];
      const seen: string[] = [];
      for (const t of traces.values()) {
        if (t.summary.start >= window.since && t.summary.start < window.until)
          seen.push(...t.summary.services);
        for (const s of t.spans.values()) {
          if (s.start < window.since || s.start >= window.until) continue;
          if (s.kind !== 'client' && s.kind !== 'producer') continue;
          const to =
            peerOf(s) ??
            [...t.spans.values()].find((c) => c.parentSpanId === s.spanId && c.kind === 'server')
              ?.service;
          if (to !== undefined)
            calls.push({ from: s.service, to, duration: s.duration, error: s.status === 'error' });
        }
      }
      return buildMap(window, calls, seen);
    },
    async close() {
      traces.clear();
      total = 0;
    },
  };
}

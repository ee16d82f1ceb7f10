// What every Trace computes the same way from spans: a trace's summary (root, totals, services),
// whether a summary matches a list query, which service a client or producer span calls, and the
// service map's edges (calls, errors, rates, p50/p99) from those calls.
import type { ServiceEdge, ServiceMap, SpanRecord, TraceQuery, TraceSummary } from './trace.ts';

/** What a summary is made of: these fields of each span. */
export type SummedSpan = Pick<
  SpanRecord,
  'parentSpanId' | 'name' | 'service' | 'endpoint' | 'start' | 'duration' | 'status'
>;

/** The summary of a trace from its kept spans (at least one). */
export function summarize(traceId: string, spans: readonly SummedSpan[]): TraceSummary {
  let root: SummedSpan | undefined;
  let earliest = spans[0]!;
  let start = Infinity;
  let end = -Infinity;
  let errors = 0;
  const services = new Set<string>();
  for (const s of spans) {
    if (s.start < start) start = s.start;
    if (s.start + s.duration > end) end = s.start + s.duration;
    if (s.start < earliest.start) earliest = s;
    if (s.parentSpanId === undefined && (root === undefined || s.start < root.start)) root = s;
    if (s.status === 'error') errors++;
    services.add(s.service);
  }
  const top = root ?? earliest;
  return {
    traceId,
    service: top.service,
    name: top.name,
    ...(top.endpoint !== undefined && { endpoint: top.endpoint }),
    start,
    duration: end - start,
    spans: spans.length,
    errors,
    services: [...services].sort(),
  };
}

/** True when the summary (whose spans' endpoints are `endpoints`) matches every filter of the query. */
export function matches(t: TraceSummary, endpoints: ReadonlySet<string>, q: TraceQuery): boolean {
  if (q.service !== undefined && !t.services.includes(q.service)) return false;
  if (q.endpoint !== undefined && !endpoints.has(q.endpoint)) return false;
  if (q.status === 'error' && t.errors === 0) return false;
  if (q.status === 'ok' && t.errors > 0) return false;
  if (q.minDuration !== undefined && t.duration < q.minDuration) return false;
  if (q.maxDuration !== undefined && t.duration > q.maxDuration) return false;
  if (q.since !== undefined && t.start < q.since) return false;
  if (q.until !== undefined && t.start >= q.until) return false;
  return true;
}

/**
 * Whom a client or producer span calls when the span itself says: its `peer.service` attribute,
 * or for a producer `topic:<messaging.destination.name>`; undefined otherwise (then the child
 * server span's service tells, when it is kept).
 */
export function peerOf(s: SpanRecord): string | undefined {
  if (s.kind !== 'client' && s.kind !== 'producer') return undefined;
  const peer = s.attributes['peer.service'];
  if (typeof peer === 'string' && peer !== '') return peer;
  const topic =
    s.attributes['messaging.destination.name'] ?? (s.kind === 'producer' ? s.endpoint : undefined);
  if (s.kind === 'producer' && typeof topic === 'string' && topic !== '') return `topic:${topic}`;
  return undefined;
}

/** One call of the map: a client or producer span whose callee is known. */
export interface MapCall {
  from: string;
  to: string;
  duration: number;
  error: boolean;
}

/** The value at quantile q of sorted values (nearest rank). */
const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;

/** The service map of a window from its calls and the services seen in it. */
export function buildMap(
  window: { since: number; until: number },
  calls: Iterable<MapCall>,
  seen: Iterable<string>,
): ServiceMap {
  const seconds = (window.until - window.since) / 1000;
  const byEdge = new Map<
    string,
    { from: string; to: string; durations: number[]; errors: number }
  >();
  const services = new Set(seen);
  for (const c of calls) {
    const key = JSON.stringify([c.from, c.to]);
    let e = byEdge.get(key);
    if (!e) byEdge.set(key, (e = { from: c.from, to: c.to, durations: [], errors: 0 }));
    e.durations.push(c.duration);
    if (c.error) e.errors++;
    services.add(c.from);
    if (!c.to.startsWith('topic:')) services.add(c.to);
  }
  const edges: ServiceEdge[] = [...byEdge.values()].map((e) => {
    const sorted = e.durations.sort((a, b) => a - b);
    return {
      from: e.from,
      to: e.to,
      calls: sorted.length,
      errors: e.errors,
      rate: sorted.length / seconds,
      errorRate: e.errors / seconds,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
    };
  });
  edges.sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  return { since: window.since, until: window.until, services: [...services].sort(), edges };
}

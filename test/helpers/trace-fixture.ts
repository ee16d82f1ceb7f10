// Traces for the CLI, dashboard and explorer tests: one trace of a gateway request that calls the
// greeter, which calls the store and fails, and a second plain one; plus, until the control
// plane hosts them, stand-ins for the `trace` and `logs` services serving the contract's
// endpoints (Trace.Write/List/Get/Map, Log.Read) from memory.
import type { LogRecord } from '../../src/platform/logs/logs.ts';
import type {
  ServiceMap,
  SpanRecord,
  TraceQuery,
  TraceSummary,
} from '../../src/platform/trace/trace.ts';
import { createService, notFound, type Registry, type Service } from '../../src/runtime/index.ts';
import { quiet } from './fixtures.ts';

/** The failing trace's id. */
export const FAILED = '4bf92f3577b34da6a3ce929d0e0e4736';
/** The plain trace's id. */
export const PLAIN = '0af7651916cd43dd8448eb211c80319c';

/** Two traces: FAILED (4 spans, the store call failing) at `now - 2000`, PLAIN (1 span) at `now - 1000`. */
export function sampleSpans(now = Date.now()): SpanRecord[] {
  const t = now - 2000;
  const span = (
    s: Partial<SpanRecord> & Pick<SpanRecord, 'spanId' | 'name' | 'service'>,
  ): SpanRecord => ({
    traceId: FAILED,
    kind: 'server',
    status: 'unset',
    attributes: {},
    start: t,
    duration: 1,
    ...s,
  });
  return [
    span({
      spanId: 'a000000000000001',
      name: 'POST /greeter/say/hello',
      service: 'api',
      start: t,
      duration: 40,
      attributes: { 'http.request.method': 'POST', 'url.path': '/greeter/say/hello' },
    }),
    span({
      spanId: 'a000000000000002',
      parentSpanId: 'a000000000000001',
      name: 'greeter Say.Hello',
      kind: 'client',
      service: 'api',
      endpoint: 'Say.Hello',
      start: t + 2,
      duration: 36,
    }),
    span({
      spanId: 'a000000000000003',
      parentSpanId: 'a000000000000002',
      name: 'greeter Say.Hello',
      service: 'greeter',
      endpoint: 'Say.Hello',
      start: t + 4,
      duration: 32,
      attributes: { 'rpc.service': 'greeter', 'rpc.method': 'Say.Hello' },
    }),
    span({
      spanId: 'a000000000000004',
      parentSpanId: 'a000000000000003',
      name: 'store Store.Read',
      kind: 'client',
      service: 'greeter',
      endpoint: 'Store.Read',
      start: t + 20,
      duration: 10,
      status: 'error',
      code: 500,
      message: 'disk on fire',
      events: [
        { time: t + 29, name: 'exception', attributes: { 'exception.message': 'disk on fire' } },
      ],
    }),
    {
      traceId: PLAIN,
      spanId: 'b000000000000001',
      name: 'greeter Say.Hello',
      kind: 'server',
      service: 'greeter',
      endpoint: 'Say.Hello',
      start: now - 1000,
      duration: 3,
      status: 'unset',
      attributes: {},
    },
  ];
}

/** The log lines of FAILED. */
export function sampleLogs(now = Date.now()): LogRecord[] {
  return [
    {
      id: 1,
      time: now - 1990,
      service: 'greeter',
      level: 'info',
      msg: 'saying hello to Ann',
      traceId: FAILED,
    },
    {
      id: 2,
      time: now - 1975,
      service: 'greeter',
      level: 'error',
      msg: 'store read failed',
      traceId: FAILED,
    },
  ];
}

function summaries(spans: SpanRecord[], q: TraceQuery): TraceSummary[] {
  const by = new Map<string, SpanRecord[]>();
  for (const s of spans) by.set(s.traceId, [...(by.get(s.traceId) ?? []), s]);
  const out: TraceSummary[] = [];
  for (const [traceId, all] of by) {
    const start = Math.min(...all.map((s) => s.start));
    const end = Math.max(...all.map((s) => s.start + s.duration));
    const root = all.find((s) => !s.parentSpanId) ?? all[0]!;
    const errors = all.filter((s) => s.status === 'error').length;
    if (q.service && !all.some((s) => s.service === q.service)) continue;
    if (q.endpoint && !all.some((s) => s.endpoint === q.endpoint)) continue;
    if (q.status === 'error' ? errors === 0 : q.status === 'ok' ? errors > 0 : false) continue;
    if (q.minDuration !== undefined && end - start < q.minDuration) continue;
    if (q.maxDuration !== undefined && end - start > q.maxDuration) continue;
    if (q.since !== undefined && start < q.since) continue;
    out.push({
      traceId,
      service: root.service,
      name: root.name,
      ...(root.endpoint && { endpoint: root.endpoint }),
      start,
      duration: end - start,
      spans: all.length,
      errors,
      services: [...new Set(all.map((s) => s.service))].sort(),
    });
  }
  return out.sort((a, b) => b.start - a.start).slice(0, q.limit ?? 50);
}

/** A stand-in for the `trace` service, registered in `registry`; `spans` is what it keeps. */
export async function startFakeTrace(
  registry: Registry,
): Promise<{ spans: SpanRecord[]; stop(): Promise<void> }> {
  const spans: SpanRecord[] = [];
  const trace: Service = createService({
    name: 'trace',
    registry,
    logger: quiet,
    handleSignals: false,
  });
  trace.handle('Trace', {
    Write: async (req: { spans: SpanRecord[] }) => (spans.push(...req.spans), {}),
    List: async (q: TraceQuery) => ({ traces: summaries(spans, q) }),
    Get: async (req: { id: string }) => {
      const found = spans.filter((s) => s.traceId === req.id).sort((a, b) => a.start - b.start);
      if (found.length === 0) throw notFound('micro.trace', `trace ${req.id} not found`);
      return { traceId: req.id, spans: found };
    },
    Map: async (): Promise<ServiceMap> => ({
      since: Date.now() - 900_000,
      until: Date.now(),
      services: ['api', 'greeter', 'store'],
      edges: [
        {
          from: 'api',
          to: 'greeter',
          calls: 90,
          errors: 0,
          rate: 0.1,
          errorRate: 0,
          p50: 36,
          p99: 80,
        },
        {
          from: 'greeter',
          to: 'store',
          calls: 45,
          errors: 9,
          rate: 0.05,
          errorRate: 0.01,
          p50: 10,
          p99: 22.5,
        },
      ],
    }),
  });
  await trace.start();
  return { spans, stop: () => trace.stop() };
}

/** A stand-in for the `logs` service answering Log.Read by trace from `records`. */
export async function startFakeLogs(
  registry: Registry,
  records: LogRecord[],
): Promise<{ stop(): Promise<void> }> {
  const log = createService({ name: 'logs', registry, logger: quiet, handleSignals: false });
  log.handle('Log', {
    Read: async (q: { trace?: string }) => ({
      records: records.filter((r) => q.trace === undefined || r.traceId === q.trace),
    }),
  });
  await log.start();
  return { stop: () => log.stop() };
}

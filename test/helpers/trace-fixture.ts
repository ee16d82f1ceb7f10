// Traces for the CLI, dashboard and explorer tests: one trace of a gateway request that calls the
// greeter, which calls the store and fails, and a second plain one; plus, until the control
// plane hosts it, a stand-in for the `logs` service answering Log.Read by trace id.
import type { LogRecord } from '../../src/platform/logs/logs.ts';
import type { SpanRecord } from '../../src/platform/trace/trace.ts';
import { createService, type Registry } from '../../src/runtime/index.ts';
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
      attributes: { 'peer.service': 'greeter' },
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
      attributes: { 'peer.service': 'store' },
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

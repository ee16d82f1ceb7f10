// micro with tracing on (and, for one variant, metrics too), as the platform's createService wires
// them: the server's observer makes a SERVER span per call, the client's wrapper a CLIENT span and
// the traceparent it sends. Spans go through a BatchSpanProcessor to the real exporter, whose
// OTLP JSON is made and then dropped instead of sent to a control plane (so what is measured is
// the instrumentation and the serialization, not the trace service's work).
import type { Tracing } from '../../../src/platform/trace/enable.ts';
import { tracingFromEnv } from '../../../src/platform/trace/enable.ts';
import { createTraceExporter } from '../../../src/platform/trace/exporter.ts';
import { serviceMetrics } from '../../../src/platform/metrics/enable.ts';
import {
  composeObservers,
  createClient,
  createMemoryRegistry,
  createService,
  createTcpTransport,
} from '../../../src/runtime/index.ts';
import { quiet } from '../../lib/logger.ts';
import { REQUEST, hello, type Caller, type Target } from '../target.ts';

/** Tracing of one side, spans serialized and dropped. */
function tracing(service: string, sample: string): Tracing {
  const exporter = createTraceExporter({}, { sink: async () => undefined });
  return tracingFromEnv(
    { MICRO_TRACE_SAMPLE: sample },
    { service, node: `${service}-${process.pid}`, exporter },
  )!;
}

/** A traced micro target: `sample` as MICRO_TRACE_SAMPLE, `metrics` for the metrics observer too. */
function traced(sample: string, metrics: boolean): Target {
  return {
    async serve() {
      const t = tracing('bench', sample);
      // Read only once calls arrive, when the service exists.
      const m = metrics ? serviceMetrics('bench', () => service.server, {}) : undefined;
      const service = createService({
        name: 'bench',
        address: '127.0.0.1:0',
        registry: createMemoryRegistry(),
        handleSignals: false,
        logger: quiet,
        observe: composeObservers([t.observe, m?.observe]),
        wrapCall: [t.wrapCall],
      });
      service.handle('Greeter', { Hello: async (req: { name: string }) => hello(req) });
      await service.start();
      return {
        address: service.server.address,
        close: async () => {
          await service.stop();
          await t.shutdown();
        },
      };
    },
    async connect(address) {
      const t = tracing('bench-client', sample);
      const client = createClient({
        registry: createMemoryRegistry(),
        transport: createTcpTransport(),
        wrappers: [t.wrapCall],
      });
      const options = { address, contentType: 'application/json' };
      const caller: Caller = {
        call: () => client.call('bench', 'Greeter.Hello', REQUEST, options),
        close: async () => {
          await client.close();
          await t.shutdown();
        },
      };
      const rsp = (await caller.call()) as { msg?: string };
      if (rsp.msg !== 'Hello bench') throw new Error(`unexpected response ${JSON.stringify(rsp)}`);
      return caller;
    },
  };
}

/** Tracing sampled at 100%. */
export const microTrace: Target = traced('always', false);
/** Tracing with 1% of traces sampled (parent-based, roots at 1%). */
export const microTrace1: Target = traced('parent:0.01', false);
/** Tracing at 100% and the metrics observer. */
export const microTraceMetrics: Target = traced('always', true);

// The control plane's own services traced like any platform service (MICRO_TRACE and the sampling
// variables of its environment), their spans written straight into its trace store, in process
// (no call, no token). Not traced: the registry service (every node's heartbeats and lookups would
// each be a trace of their own), the trace service (its intake of spans, and the dashboard's
// reading of them, would trace themselves), and the observability services that every service,
// the CLI and the dashboard call on their own (logs' shipped batches, the monitor's and metrics'
// reads): their traces would crowd out the user's own in the list and the service map. Spans ended before the trace store is hosted, or
// after it closed, are dropped (counted by the exporter).
import { randomUUID } from 'node:crypto';
import type { Service, ServiceOptions } from '../runtime/service.ts';
import { composeObservers } from '../runtime/server/observe.ts';
import type { HostContext } from '../platform/hosting.ts';
import { tracingFromEnv, type Tracing } from '../platform/trace/enable.ts';
import { createTraceExporter } from '../platform/trace/exporter.ts';
import { decodeOtlpJson } from '../platform/trace/otlp.ts';
import type { Trace } from '../platform/trace/trace.ts';

/** The services not traced (see the module comment). */
const UNTRACED = new Set(['registry', 'trace', 'logs', 'metrics', 'monitor']);

/** Tracing of the control plane's services. */
export interface PlaneTracing {
  /** The options with a node id and, unless off for this service, the tracing hooks. */
  traced<O extends ServiceOptions>(options: O): O;
  /** Stops a service, sending its last spans first. */
  stop(service: Service): Promise<void>;
}

/** The control plane's tracing; `store` is its trace store once hosted. */
export function planeTracing(context: HostContext, store: () => Trace | undefined): PlaneTracing {
  const tracings = new Map<string, Tracing>();
  const sink = async (request: unknown): Promise<void> => {
    const trace = store();
    if (!trace) throw new Error('the trace store is not hosted');
    await trace.write(decodeOtlpJson(request));
  };
  return {
    traced(options) {
      const id = options.id ?? `${options.name}-${randomUUID()}`;
      if (UNTRACED.has(options.name)) return { ...options, id };
      const logger = options.logger ?? context.logger;
      const tracing = tracingFromEnv(context.env, {
        service: options.name,
        node: id,
        // The OTLP endpoint of MICRO_TRACE_OTLP_ENDPOINT too, when set.
        exporter: createTraceExporter(context.env, { sink, logger }),
        logger,
      });
      if (!tracing) return { ...options, id };
      tracings.set(id, tracing);
      return {
        ...options,
        id,
        observe: composeObservers([tracing.observe, options.observe]),
        wrapCall: [tracing.wrapCall, ...(options.wrapCall ?? [])],
        wrapStream: [tracing.wrapStream, ...(options.wrapStream ?? [])],
        wrapPublish: [tracing.wrapPublish, ...(options.wrapPublish ?? [])],
      };
    },
    async stop(service) {
      const tracing = tracings.get(service.server.id);
      if (tracing) {
        await service.server.stop();
        await tracing.shutdown();
      }
      await service.stop();
    },
  };
}

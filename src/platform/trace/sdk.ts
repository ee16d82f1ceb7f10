// The OpenTelemetry SDK as micro sets it up: one TracerProvider per service (its resource names the
// service and the node; a BatchSpanProcessor sends its spans to an exporter), and, once per process,
// OpenTelemetry's globals: the AsyncLocalStorage context manager, the W3C trace-context propagator
// and a tracer provider that hands a user's `trace.getTracer(...)` spans to the provider of the
// service whose span is active (so they carry that service's name), else to the first service's.
// A global the program registered itself is kept and used: micro's spans then still go to micro's
// exporter, and parent links hold through the context API either way.
//
// Limits: the globals are process-wide by nature (OpenTelemetry's own design); the table of
// providers behind them holds the services started in this process and forgets each at shutdown.
import {
  context,
  propagation,
  trace,
  INVALID_SPAN_CONTEXT,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerProvider as ApiTracerProvider,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { w3cPropagator } from './propagation.ts';

/** The instrumentation scope of micro's own spans. */
export const TRACER_NAME = 'micro';

/** What a service's provider is made of. */
export interface TraceProviderOptions {
  /** The service's name: the resource's `service.name`. */
  service: string;
  /** The node id: the resource's `service.instance.id`. */
  node: string;
  /** Which traces are recorded. */
  sampler: Sampler;
  /** Where finished spans go. */
  exporter: SpanExporter;
  /**
   * Milliseconds between exports (default OTEL_BSP_SCHEDULE_DELAY, else 5000); 0 exports each
   * span as it ends (SimpleSpanProcessor: tests).
   */
  delay?: number;
  /** Spans queued at most before new ones are dropped (default OTEL_BSP_MAX_QUEUE_SIZE, else 2048). */
  queue?: number;
}

/** Services' providers in this process, by service name, in the order they were made. */
const providers = new Map<string, TracerProvider[]>();
let installed = false;

/** The provider for a span started in ctx: its active span's service's, else the first made. */
function providerFor(ctx: Context): TracerProvider | undefined {
  const span = trace.getSpan(ctx) as Partial<ReadableSpan> | undefined;
  const name = span?.resource?.attributes['service.name'];
  const own = typeof name === 'string' ? providers.get(name) : undefined;
  if (own) return own.at(-1);
  for (const list of providers.values()) return list[0];
  return undefined;
}

/** A tracer that starts each span with the provider providerFor picks. */
class RoutingTracer implements Tracer {
  readonly #name: string;
  readonly #version: string | undefined;
  constructor(name: string, version: string | undefined) {
    this.#name = name;
    this.#version = version;
  }
  startSpan(name: string, options?: SpanOptions, ctx: Context = context.active()): Span {
    const p = providerFor(ctx);
    if (!p) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    return p.getTracer(this.#name, this.#version).startSpan(name, options, ctx);
  }
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    ...args: unknown[]
  ): ReturnType<F> {
    const fn = args.at(-1) as F;
    const options = args.length >= 2 ? (args[0] as SpanOptions | undefined) : undefined;
    const parent = args.length >= 3 ? (args[1] as Context) : context.active();
    const span = this.startSpan(name, options, parent);
    return context.with(
      trace.setSpan(parent, span),
      fn as (s: Span) => ReturnType<F>,
      undefined,
      span,
    );
  }
}

/** The global provider micro registers: tracers that route to the services' providers. */
const routing: ApiTracerProvider = {
  getTracer: (name, version) => new RoutingTracer(name, version),
};

/**
 * Registers, once per process, the AsyncLocalStorage context manager, the W3C propagator and the
 * routing tracer provider as OpenTelemetry's globals, each unless the program registered its own.
 */
export function installTraceGlobals(): void {
  if (installed) return;
  installed = true;
  const manager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(manager)) manager.disable();
  propagation.setGlobalPropagator(w3cPropagator());
  trace.setGlobalTracerProvider(routing);
}

/** A positive integer from the environment, or the fallback. */
function intFromEnv(text: string | undefined, fallback: number): number {
  const n = Number(text);
  return text !== undefined && Number.isInteger(n) && n >= 0 ? n : fallback;
}

/**
 * A service's provider: its resource, sampler and span processor; known to the global routing
 * provider until it is shut down. Installs the globals if not done yet.
 */
export function createTraceProvider(options: TraceProviderOptions): TracerProvider {
  installTraceGlobals();
  const delay = options.delay ?? intFromEnv(process.env.OTEL_BSP_SCHEDULE_DELAY, 5000);
  const processor =
    delay === 0
      ? new SimpleSpanProcessor({ exporter: options.exporter })
      : new BatchSpanProcessor({
          exporter: options.exporter,
          scheduledDelayMillis: delay,
          maxQueueSize: options.queue ?? intFromEnv(process.env.OTEL_BSP_MAX_QUEUE_SIZE, 2048),
          maxExportBatchSize: 512,
        });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.service,
      'service.instance.id': options.node,
    }),
    sampler: options.sampler,
    spanProcessors: [processor],
  });
  const list = providers.get(options.service) ?? [];
  list.push(provider);
  providers.set(options.service, list);
  const shutdown = provider.shutdown.bind(provider);
  provider.shutdown = () => {
    const left = (providers.get(options.service) ?? []).filter((p) => p !== provider);
    if (left.length > 0) providers.set(options.service, left);
    else providers.delete(options.service);
    return shutdown();
  };
  return provider;
}

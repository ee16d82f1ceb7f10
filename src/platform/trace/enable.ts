// Tracing for one service from the environment: on unless MICRO_TRACE=off (then nothing at all is
// made), sampled as MICRO_TRACE_SAMPLE or OTEL_TRACES_SAMPLER says (sampler.ts), exported to the
// control plane's trace service through the service's own client and to MICRO_TRACE_OTLP_ENDPOINT
// when set (exporter.ts). What it returns fills the runtime's hooks: the server observer and the
// client's call, stream and publish wrappers. Bad values are TypeErrors here, when the service is
// made. shutdown() sends what is queued, waiting at most 2 s (the control plane may be gone).
import type { Tracer } from '@opentelemetry/api';
import {
  ParentBasedSampler,
  type SpanExporter,
  type TracerProvider,
} from '@opentelemetry/sdk-trace';
import type {
  CallWrapper,
  Client,
  PublishWrapper,
  StreamWrapper,
} from '../../runtime/client/client.ts';
import type { Observer } from '../../runtime/server/observe.ts';
import type { Logger } from '../../runtime/server/server.ts';
import { createTraceExporter } from './exporter.ts';
import { traceObserver } from './observer.ts';
import { samplerFromEnv } from './sampler.ts';
import { createTraceProvider, TRACER_NAME } from './sdk.ts';
import { traceCallWrapper, tracePublishWrapper, traceStreamWrapper } from './wrappers.ts';

/** What tracingFromEnv needs besides the environment. */
export interface TracingOptions {
  /** The service's name (`service.name`; `api` for the gateway, `sidecar` for the sidecar). */
  service: string;
  /** The node id (`service.instance.id`). */
  node: string;
  /** Where spans go (default: the trace service through `client`, and the OTLP endpoint if set). */
  exporter?: SpanExporter;
  /** The client Trace.Export is called with; a function when the client is made later. */
  client?: Client | (() => Client);
  /** Where a failing export is reported (once until exports work again). */
  logger?: Logger;
  /** Milliseconds between exports (see TraceProviderOptions.delay). */
  delay?: number;
}

/** A service's tracing: the hooks to install, and its provider. */
export interface Tracing {
  /** The server observer: SERVER spans for calls and streams, CONSUMER spans for events. */
  readonly observe: Observer;
  /** CLIENT spans for calls; to be the outermost call wrapper. */
  readonly wrapCall: CallWrapper;
  /** CLIENT spans for streams; to be the outermost stream wrapper. */
  readonly wrapStream: StreamWrapper;
  /** PRODUCER spans for publishes; to be the outermost publish wrapper. */
  readonly wrapPublish: PublishWrapper;
  /** The service's OpenTelemetry provider. */
  readonly provider: TracerProvider;
  /** micro's tracer of that provider (the gateway's request spans are made with it). */
  readonly tracer: Tracer;
  /** Exports what is queued now. */
  flush(): Promise<void>;
  /** Exports what is queued (at most 2 s) and stops; later spans are dropped. */
  shutdown(): Promise<void>;
}

/** Whether MICRO_TRACE turns tracing on (`on`, the default) or off; anything else is a TypeError. */
export function traceEnabled(env: NodeJS.ProcessEnv): boolean {
  const v = (env.MICRO_TRACE ?? '').trim().toLowerCase();
  if (v === '' || v === 'on') return true;
  if (v === 'off') return false;
  throw new TypeError(`MICRO_TRACE must be on or off, not ${JSON.stringify(env.MICRO_TRACE)}`);
}

/** Resolves after ms (unref'd), so a shutdown never waits on a control plane that is gone. */
const within = (ms: number, work: Promise<void>): Promise<void> =>
  Promise.race([
    work.catch(() => undefined),
    new Promise<void>((resolve) => setTimeout(resolve, ms).unref()),
  ]);

/** A service's tracing as the environment asks; undefined when MICRO_TRACE=off. */
export function tracingFromEnv(
  env: NodeJS.ProcessEnv,
  options: TracingOptions,
): Tracing | undefined {
  if (!traceEnabled(env)) return undefined;
  const sampler = samplerFromEnv(env);
  const clientOf = (): Client => {
    const c = options.client;
    if (c === undefined) throw new Error('tracing has no client to export with');
    return typeof c === 'function' ? c() : c;
  };
  const exporter =
    options.exporter ??
    createTraceExporter(env, {
      sink: (request) =>
        clientOf().call('trace', 'Trace.Export', request, { timeout: 10_000, retries: 0 }),
      logger: options.logger,
    });
  const provider = createTraceProvider({
    service: options.service,
    node: options.node,
    sampler,
    exporter,
    delay: options.delay,
  });
  const tracer = provider.getTracer(TRACER_NAME);
  let stopped: Promise<void> | undefined;
  return {
    observe: traceObserver(tracer, { parentBased: sampler instanceof ParentBasedSampler }),
    wrapCall: traceCallWrapper(tracer),
    wrapStream: traceStreamWrapper(tracer),
    wrapPublish: tracePublishWrapper(tracer),
    provider,
    tracer,
    flush: () => within(2000, provider.forceFlush()),
    shutdown: () => (stopped ??= within(2000, provider.shutdown())),
  };
}

// The server's observer filled with spans: a SERVER span `<service> <Endpoint>` for each call and
// stream, a CONSUMER span `<topic> process` for each event delivered to a subscriber, each a child
// of the span its request's `traceparent` names (a new trace when it names none or a bad one), and
// the active OpenTelemetry context while the guard, the decoding and the handler run, so spans the
// handler makes (its calls, a user's own) are its children.
//
// Status as OpenTelemetry's conventions: error when the request failed with a code of 500 or more
// (a handler's throw is a 500), with the error's detail as its message and an `exception` event
// (type and message, never a stack); a 4xx leaves the status unset and keeps the code in
// `micro.code`. No metadata value is ever recorded. `Debug.*` endpoints (probes every few seconds)
// and the trace service's own Export and Write make no span.
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { context } from '@opentelemetry/api';
import type { MicroError } from '../../runtime/errors.ts';
import type { Observation, Observer } from '../../runtime/server/observe.ts';
import { extractTraceContext } from './propagation.ts';

/** Names longer than this (an unknown endpoint a caller made up) are cut. */
const MAX_NAME = 200;

/** Whether a request to service's endpoint makes no span: probes and the trace service's intake. */
export function untraced(service: string, endpoint: string): boolean {
  return (
    endpoint.startsWith('Debug.') ||
    (service === 'trace' && (endpoint === 'Trace.Export' || endpoint === 'Trace.Write'))
  );
}

/** A name cut to MAX_NAME characters. */
export const bounded = (name: string): string =>
  name.length > MAX_NAME ? `${name.slice(0, MAX_NAME)}…` : name;

/**
 * Ends a span as micro's requests end: `micro.code` on any error, error status (and an
 * `exception` event with the detail) from 500 up, `micro.cancelled` when the caller left.
 */
export function endSpan(span: Span, error: MicroError | undefined, cancelled: boolean): void {
  if (error !== undefined) failSpan(span, error.code, error.detail, error.status);
  if (cancelled) span.setAttribute('micro.cancelled', true);
  span.end();
}

/** Marks a span failed with code (and, from 500, error status with message). */
export function failSpan(span: Span, code: number, message: string, type: string): void {
  span.setAttribute('micro.code', code);
  if (code < 500) return;
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.addEvent('exception', { 'exception.type': type, 'exception.message': message });
}

/** One request's span, the active context while its serving runs. */
class SpanObservation implements Observation {
  readonly #span: Span;
  readonly #ctx: Context;
  constructor(span: Span, ctx: Context) {
    this.#span = span;
    this.#ctx = ctx;
  }
  run<T>(fn: () => T): T {
    return context.with(this.#ctx, fn);
  }
  end(error: MicroError | undefined, cancelled: boolean): void {
    endSpan(this.#span, error, cancelled);
  }
}

/** The last remote address read, and its parts (a connection's calls share one). */
let lastRemote = '';
let lastHost: string | undefined;
let lastPort: number | undefined;

/** `client.address` and `client.port` of a `host:port` (IPv6 in brackets). */
function peerAttributes(remote: string, into: Attributes): void {
  if (remote !== lastRemote) {
    lastRemote = remote;
    const colon = remote.lastIndexOf(':');
    const host = colon <= 0 ? undefined : remote.slice(0, colon);
    const port = colon <= 0 ? Number.NaN : Number(remote.slice(colon + 1));
    lastHost = host?.startsWith('[') ? host.slice(1, -1) : host;
    lastPort = Number.isInteger(port) ? port : undefined;
  }
  if (lastHost === undefined) return;
  into['client.address'] = lastHost;
  if (lastPort !== undefined) into['client.port'] = lastPort;
}

/** A request whose trace is sampled out: its caller's context active while it is served. */
class UnsampledObservation implements Observation {
  readonly #ctx: Context;
  constructor(ctx: Context) {
    this.#ctx = ctx;
  }
  run<T>(fn: () => T): T {
    return context.with(this.#ctx, fn);
  }
  end(): void {}
}

/** How the observer may save work. */
export interface TraceObserverOptions {
  /**
   * The tracer's sampler follows a remote parent's decision (parent-based): a request whose
   * caller's trace is sampled out then makes no span at all, and serves in the caller's context
   * (so its own calls carry the same trace, still sampled out).
   */
  parentBased?: boolean;
}

/** The server observer making SERVER spans for calls and streams and CONSUMER spans for events. */
export function traceObserver(tracer: Tracer, options: TraceObserverOptions = {}): Observer {
  const parentBased = options.parentBased === true;
  return (request) => {
    const { service, endpoint, kind } = request;
    if (untraced(service, endpoint)) return undefined;
    const parent = extractTraceContext(request.metadata);
    if (parentBased && parent !== ROOT_CONTEXT) {
      const caller = trace.getSpanContext(parent);
      if (caller !== undefined && (caller.traceFlags & TraceFlags.SAMPLED) === 0)
        return new UnsampledObservation(parent);
    }
    const event = kind === 'event';
    const name = bounded(event ? `${endpoint} process` : `${service} ${endpoint}`);
    const span = tracer.startSpan(
      name,
      { kind: event ? SpanKind.CONSUMER : SpanKind.SERVER },
      parent,
    );
    // Attributes only for a span that is kept: a sampled-out request pays for no object.
    if (span.isRecording()) {
      const attributes: Attributes = event
        ? {
            'messaging.system': 'micro',
            'messaging.destination.name': bounded(endpoint),
            'messaging.operation.type': 'process',
            'micro.kind': 'event',
          }
        : {
            'rpc.system': 'micro',
            'rpc.service': service,
            'rpc.method': bounded(endpoint),
            'micro.kind': kind,
          };
      peerAttributes(request.remote, attributes);
      span.setAttributes(attributes);
    }
    const ctx = trace.setSpan(parent, span);
    return span.isRecording() ? new SpanObservation(span, ctx) : new UnsampledObservation(ctx);
  };
}

// The client's wrappers filled with spans: a CLIENT span `<service> <Endpoint>` per call and per
// stream (from its opening to its last message, its failure or its close), a PRODUCER span
// `publish <topic>` per publish, each a child of the active span (a handler's server span, the
// gateway's request span, a user's own), and `traceparent`/`tracestate` of that span written into
// the outgoing metadata, over any the parent request carried, so the callee's span is its child.
//
// Nothing is made under suppressTracing (the exporter's own calls), for `Debug.*` endpoints, or
// for calls to the trace service's Export and Write. A failure sets `micro.code`, and error status
// from 500 up (see observer.ts); metadata values are never recorded.
import { context, SpanKind, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { MicroError } from '../../runtime/errors.ts';
import type {
  CallOptions,
  CallWrapper,
  ClientStream,
  PublishWrapper,
  StreamWrapper,
} from '../../runtime/client/client.ts';
import type { Metadata } from '../../runtime/metadata.ts';
import { bounded, failSpan, untraced } from './observer.ts';
import { extractTraceContext, injectSpanContext } from './propagation.ts';

/** The context a client span starts in: the active one, else the one `parent`'s metadata names. */
function parentContext(parent: CallOptions['parent']): Context {
  const active = context.active();
  if (parent === undefined || trace.getSpan(active) !== undefined) return active;
  return extractTraceContext(parent.metadata);
}

/** Metadata with the span's trace context written over the caller's. */
function carrying(span: Span, metadata: Metadata | undefined): Metadata {
  const out: Metadata = metadata ? { ...metadata } : {};
  injectSpanContext(span.spanContext(), out);
  return out;
}

/** Ends a span with what a call rejected with. */
function endFailed(span: Span, err: unknown): void {
  if (err instanceof MicroError) failSpan(span, err.code, err.detail, err.status);
  else failSpan(span, 500, err instanceof Error ? err.message : String(err), 'Error');
  span.end();
}

/** Sets a client span's attributes, when it is recorded. */
function rpcAttributes(span: Span, service: string, endpoint: string, kind: string): void {
  if (!span.isRecording()) return;
  span.setAttributes({
    'rpc.system': 'micro',
    'rpc.service': service,
    'rpc.method': endpoint,
    'peer.service': service,
    'micro.kind': kind,
  });
}

/** A call wrapper making a CLIENT span per call and sending its trace context. */
export function traceCallWrapper(tracer: Tracer): CallWrapper {
  return (next) => (req) => {
    const parent = parentContext(req.options.parent);
    if (isTracingSuppressed(parent) || untraced(req.service, req.endpoint)) return next(req);
    const span = tracer.startSpan(
      bounded(`${req.service} ${req.endpoint}`),
      { kind: SpanKind.CLIENT },
      parent,
    );
    const options = { ...req.options, metadata: carrying(span, req.options.metadata) };
    // A span sampled out records nothing and ends as nothing: its trace context is sent (so the
    // callee follows the decision), and the call runs as is, with no context switch.
    if (!span.isRecording()) return next({ ...req, options });
    rpcAttributes(span, req.service, req.endpoint, 'call');
    return context.with(trace.setSpan(parent, span), next, undefined, { ...req, options }).then(
      (res) => {
        span.end();
        return res;
      },
      (err: unknown) => {
        endFailed(span, err);
        throw err;
      },
    );
  };
}

/** The stream, its span ended when its messages end, it fails, or it is closed. */
function spanned(stream: ClientStream, span: Span): ClientStream {
  let open = true;
  const finish = (err?: unknown): void => {
    if (!open) return;
    open = false;
    if (err === undefined) span.end();
    else endFailed(span, err);
  };
  return {
    send: (m) => stream.send(m),
    end: () => stream.end(),
    close() {
      if (open) span.setAttribute('micro.cancelled', true);
      finish();
      stream.close();
    },
    async *[Symbol.asyncIterator]() {
      try {
        yield* stream;
      } catch (err) {
        finish(err);
        throw err;
      }
      finish();
    },
  };
}

/** A stream wrapper making a CLIENT span per stream and sending its trace context. */
export function traceStreamWrapper(tracer: Tracer): StreamWrapper {
  return (next) => async (req) => {
    const parent = parentContext(req.options.parent);
    if (isTracingSuppressed(parent) || untraced(req.service, req.endpoint)) return next(req);
    const span = tracer.startSpan(
      bounded(`${req.service} ${req.endpoint}`),
      { kind: SpanKind.CLIENT },
      parent,
    );
    rpcAttributes(span, req.service, req.endpoint, 'stream');
    const ctx = trace.setSpan(parent, span);
    const options = { ...req.options, metadata: carrying(span, req.options.metadata) };
    try {
      return spanned(await context.with(ctx, next, undefined, { ...req, options }), span);
    } catch (err) {
      endFailed(span, err);
      throw err;
    }
  };
}

/** A publish wrapper making a PRODUCER span per publish and sending its trace context. */
export function tracePublishWrapper(tracer: Tracer): PublishWrapper {
  return (next) => (req) => {
    const parent = parentContext(req.options.parent);
    if (isTracingSuppressed(parent)) return next(req);
    const topic = bounded(req.topic);
    const span = tracer.startSpan(`publish ${topic}`, { kind: SpanKind.PRODUCER }, parent);
    if (span.isRecording())
      span.setAttributes({
        'messaging.system': 'micro',
        'messaging.destination.name': topic,
        'messaging.operation.type': 'send',
        'micro.kind': 'publish',
        ...(req.options.durable && { 'micro.durable': true }),
      });
    const ctx = trace.setSpan(parent, span);
    const options = { ...req.options, metadata: carrying(span, req.options.metadata) };
    return context.with(ctx, next, undefined, { ...req, options }).then(
      () => span.end(),
      (err: unknown) => {
        endFailed(span, err);
        throw err;
      },
    );
  };
}

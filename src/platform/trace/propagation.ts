// W3C trace context in micro's metadata: `traceparent` and `tracestate` (lower case) read from a
// request's metadata and written into a call's, a stream's or a message's, with OpenTelemetry's own
// W3CTraceContextPropagator. Hostile values are ignored (the request starts a new trace), never an
// error: a traceparent that is not 55 characters of the right hex, one of all-zero ids, and a
// tracestate over 512 characters (the size W3C asks platforms to carry).
import {
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Metadata } from '../../runtime/metadata.ts';

/** The metadata (and HTTP header) keys of the W3C trace context. */
export const TRACEPARENT = 'traceparent';
/** The vendor part of the W3C trace context. */
export const TRACESTATE = 'tracestate';

/** Version 00 traceparent: `00-<32 hex>-<16 hex>-<2 hex>`; later versions may be longer. */
const MAX_TRACEPARENT = 256;
const MAX_TRACESTATE = 512;

const w3c = new W3CTraceContextPropagator();

/** Reads the two keys of a metadata record (or an HTTP header record), dropping oversized values. */
const getter: TextMapGetter<Record<string, string | string[] | undefined>> = {
  keys: () => [TRACEPARENT, TRACESTATE],
  get(carrier, key) {
    const v = carrier[key];
    const s = Array.isArray(v) ? v[0] : v;
    if (s === undefined) return undefined;
    return s.length > (key === TRACEPARENT ? MAX_TRACEPARENT : MAX_TRACESTATE) ? undefined : s;
  },
};

const setter: TextMapSetter<Metadata> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

/**
 * The context of the caller's span named by a carrier's `traceparent` (metadata or HTTP headers),
 * over a fresh root: never the context the request happens to arrive in. ROOT_CONTEXT when there
 * is none or it is not valid.
 */
export function extractTraceContext(
  carrier: Record<string, string | string[] | undefined>,
): Context {
  const header = carrier[TRACEPARENT];
  if (header === undefined) return ROOT_CONTEXT;
  // The common case (a version 00 traceparent of lower-case hex, no tracestate) read here; any
  // other shape through the W3C propagator, which knows the rest of the rules.
  if (typeof header === 'string' && carrier[TRACESTATE] === undefined && COMMON.test(header)) {
    const traceId = header.slice(3, 35);
    const spanId = header.slice(36, 52);
    if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return ROOT_CONTEXT;
    return trace.setSpanContext(ROOT_CONTEXT, {
      traceId,
      spanId,
      traceFlags: parseInt(header.slice(53, 55), 16),
      isRemote: true,
    });
  }
  return w3c.extract(ROOT_CONTEXT, carrier, getter);
}

/** A version 00 traceparent of lower-case hex, nothing around it. */
const COMMON = /^00-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** Writes ctx's span as `traceparent` (and `tracestate`) into metadata; nothing when it has none. */
export function injectTraceContext(ctx: Context, metadata: Metadata): void {
  w3c.inject(ctx, metadata, setter);
}

/**
 * Writes a span context that micro's own tracer just made (valid unless a no-op tracer's; never
 * under suppressTracing) as `traceparent` (and `tracestate`) into metadata, without a context lookup.
 */
export function injectSpanContext(span: SpanContext, metadata: Metadata): void {
  if (span.traceId === ZERO_TRACE) return; // a no-op tracer's span
  metadata[TRACEPARENT] =
    `00-${span.traceId}-${span.spanId}-0${(span.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
  if (span.traceState) metadata[TRACESTATE] = span.traceState.serialize();
}

/** The process-wide propagator micro registers (W3C trace context). */
export function w3cPropagator(): W3CTraceContextPropagator {
  return w3c;
}

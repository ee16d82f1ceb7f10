// A SERVER span per HTTP request at the gateway and the sidecar: `<METHOD> <route or path>`, a
// child of the span the request's `traceparent` header names (hostile values ignored, as in
// propagation.ts), whose context the proxy makes active while it calls on, so the call's CLIENT
// span and the service's SERVER span are its children. Error status from a 500 response up; 4xx
// leave it unset (OpenTelemetry's HTTP server conventions). No header value is recorded.
import {
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
import { bounded } from './observer.ts';
import { extractTraceContext } from './propagation.ts';

/** One HTTP request's span. */
export interface HttpSpan {
  /** The context to run the request's handling in (its span active). */
  readonly context: Context;
  /** The span itself. */
  readonly span: Span;
  /** Ends the span with the response's status code (once; later calls do nothing). */
  end(status: number): void;
}

/** The path of a request URL, without its query. */
export function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q < 0 ? u : u.slice(0, q);
}

/** Starts the SERVER span of an HTTP request; `route` is its route template when known, else its path. */
export function startHttpSpan(
  tracer: Tracer,
  method: string,
  route: string,
  path: string,
  headers: IncomingHttpHeaders,
  ip: string | undefined,
): HttpSpan {
  const parent = extractTraceContext(headers);
  const span = tracer.startSpan(bounded(`${method} ${route}`), { kind: SpanKind.SERVER }, parent);
  if (span.isRecording()) {
    span.setAttributes({
      'http.request.method': method,
      'url.path': bounded(path),
      ...(route !== path && { 'http.route': route }),
      ...(ip !== undefined && { 'client.address': ip }),
    });
  }
  let ended = false;
  return {
    context: trace.setSpan(parent, span),
    span,
    end(status) {
      if (ended) return;
      ended = true;
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}

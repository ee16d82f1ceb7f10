// Where a process's spans go: an OpenTelemetry SpanExporter that sends each batch as OTLP JSON
// (built directly from the spans, otlp-json.ts: no bytes written and parsed back) to the control plane's `trace` service (Trace.Export, through
// the service's own micro client), and also, when MICRO_TRACE_OTLP_ENDPOINT is set, to that OTLP/HTTP
// endpoint with the official OTLPTraceExporter (`/v1/traces` appended unless present; headers from
// MICRO_TRACE_OTLP_HEADERS, `k=v,k2=v2`). Every export runs under suppressTracing, so exporting makes
// no span of itself. An export is retried as any call (spans are replaced by id: a retry stores
// nothing twice). A failure is reported through the export callback (BatchSpanProcessor drops
// the batch), counted, and logged once until an export works again; it never throws into the app.
import { RegistryErrors } from '../../registry/registry.ts';
import { context } from '@opentelemetry/api';
import { ExportResultCode, parseKeyPairsIntoRecord, suppressTracing } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { Client } from '../../runtime/client/client.ts';
import type { Logger } from '../../runtime/server/server.ts';
import { otlpJsonOf } from './otlp-json.ts';

/** What the trace exporter is given besides the environment. */
export interface TraceExporterOptions {
  /** The client Trace.Export is called with (the service's own). */
  client?: Client;
  /**
   * Instead of calling Trace.Export: hands each OTLP JSON request to this function (the control
   * plane stores its own spans in process). Either this or `client` must be given.
   */
  sink?: (request: OtlpJsonRequest) => Promise<unknown>;
  /** Where a failing export is reported (once until exports work again). */
  logger?: Logger;
  /** Milliseconds each export may take (default 10,000). */
  timeout?: number;
}

/** An OTLP JSON ExportTraceServiceRequest (as JsonTraceSerializer would write it). */
export interface OtlpJsonRequest {
  /** Spans grouped by resource, then by instrumentation scope. */
  resourceSpans: unknown[];
}

/** A SpanExporter that also tells how many spans it could not deliver. */
export interface TraceExporter extends SpanExporter {
  /** Spans whose export failed (to any destination) since it was made. */
  readonly dropped: number;
}

const TRACES_PATH = '/v1/traces';

/** The OTLP/HTTP traces URL of an endpoint: `/v1/traces` appended unless it ends with it. */
export function otlpTracesUrl(endpoint: string): string {
  const base = endpoint.trim();
  if (new URL(base).pathname.endsWith(TRACES_PATH)) return base;
  return `${base.replace(/\/+$/, '')}${TRACES_PATH}`;
}

/** Runs `fn` with tracing suppressed, so nothing it does makes a span. */
const unseen = <T>(fn: () => T): T => context.with(suppressTracing(context.active()), fn);

/** One destination's export as a promise of its result. */
type Send = (spans: ReadableSpan[]) => Promise<ExportResult>;

/**
 * The exporter of a process's spans: to the control plane's trace service (Trace.Export through
 * `options.client`, or `options.sink`), plus the OTLP endpoint of MICRO_TRACE_OTLP_ENDPOINT if set.
 * A bad MICRO_TRACE_OTLP_ENDPOINT is a TypeError here, at start.
 */
export function createTraceExporter(
  env: NodeJS.ProcessEnv,
  options: TraceExporterOptions = {},
): TraceExporter {
  const timeout = options.timeout ?? 10_000;
  const sends: { name: string; send: Send; shutdown(): Promise<void> }[] = [];
  const sink =
    options.sink ??
    (options.client &&
      ((request: OtlpJsonRequest) =>
        options.client!.call('trace', 'Trace.Export', request, { timeout })));
  if (sink) {
    sends.push({
      name: 'the trace service',
      send: async (spans) => {
        await sink(otlpJsonOf(spans));
        return { code: ExportResultCode.SUCCESS };
      },
      shutdown: async () => undefined,
    });
  }
  const endpoint = env.MICRO_TRACE_OTLP_ENDPOINT?.trim();
  if (endpoint) {
    let url: string;
    try {
      url = otlpTracesUrl(endpoint);
    } catch {
      throw new TypeError(
        `MICRO_TRACE_OTLP_ENDPOINT must be a URL such as http://127.0.0.1:4318, not ${JSON.stringify(endpoint)}`,
      );
    }
    const otlp = new OTLPTraceExporter({
      url,
      headers: parseKeyPairsIntoRecord(env.MICRO_TRACE_OTLP_HEADERS ?? ''),
      timeoutMillis: timeout,
    });
    sends.push({
      name: url,
      send: (spans) => new Promise((resolve) => otlp.export(spans, resolve)),
      shutdown: () => otlp.shutdown(),
    });
  }
  if (sends.length === 0)
    throw new TypeError('createTraceExporter needs a client, a sink or MICRO_TRACE_OTLP_ENDPOINT');

  let dropped = 0;
  let failing = false;
  const absent = (err: Error | undefined): boolean => {
    const e = err as { code?: unknown; id?: unknown } | undefined;
    // The selector's 404 for a service no registry holds (a call's own 404 comes from the service).
    return e?.code === RegistryErrors.notFound || (e?.code === 404 && e.id === 'micro.client');
  };
  const attempt = async (
    to: (typeof sends)[number],
    spans: ReadableSpan[],
  ): Promise<ExportResult> => {
    try {
      return await unseen(() => to.send(spans));
    } catch (err) {
      return {
        code: ExportResultCode.FAILED,
        error: err instanceof Error ? err : new Error(String(err)),
      };
    }
  };
  const exporter: TraceExporter = {
    get dropped() {
      return dropped;
    },
    export(spans, done) {
      void Promise.all(sends.map((to) => attempt(to, spans))).then((results) => {
        const failed = results.findIndex((r) => r.code !== ExportResultCode.SUCCESS);
        if (failed === -1) {
          if (failing) options.logger?.info('trace export works again');
          failing = false;
          return done({ code: ExportResultCode.SUCCESS });
        }
        dropped += spans.length;
        const error = new Error(
          `trace export to ${sends[failed]!.name} failed: ${results[failed]!.error?.message ?? 'no reason given'}`,
        );
        // No trace service in the registry (a memory registry, a program with no control plane):
        // spans are dropped and counted, with nothing to tell.
        if (!failing && !absent(results[failed]!.error))
          options.logger?.warn(`${error.message} (spans are dropped until it works again)`);
        failing = true;
        done({ code: ExportResultCode.FAILED, error });
      });
    },
    async shutdown() {
      await Promise.all(sends.map((s) => s.shutdown().catch(() => undefined)));
    },
    async forceFlush() {},
  };
  return exporter;
}

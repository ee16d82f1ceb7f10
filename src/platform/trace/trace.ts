// Traces: the spans every call, stream, publish, subscriber run and gateway/sidecar request makes
// through the OpenTelemetry API, kept by the control plane's `trace` service (SQLite, bounded by
// count and age) and read back as traces, waterfalls and a map of which services call which. One
// interface for the control plane's service and the in-process memory one (tests).
//
// Times are milliseconds since the epoch (fractions allowed); durations milliseconds.

/** A span's kind, as OpenTelemetry names them (lower case). */
export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

/** A span's outcome: OpenTelemetry's status code. */
export type SpanStatus = 'unset' | 'ok' | 'error';

/** A point in a span's life (an exception, a retry). */
export interface SpanEvent {
  /** When, ms since the epoch. */
  time: number;
  /** What happened. */
  name: string;
  /** Its attributes. */
  attributes?: Record<string, string | number | boolean>;
}

/** One span, as stored and returned. */
export interface SpanRecord {
  /** 32 lower-case hex digits. */
  traceId: string;
  /** 16 lower-case hex digits. */
  spanId: string;
  /** The parent span's id; absent for a root. */
  parentSpanId?: string;
  /** `greeter Say.Hello`, `POST /greeter/say/hello`, `publish orders`... */
  name: string;
  /** Server, client, producer, consumer or internal. */
  kind: SpanKind;
  /** The service that made it (the resource's `service.name`). */
  service: string;
  /** The endpoint (or topic) it concerns, when it is a micro call, stream or event. */
  endpoint?: string;
  /** When it started, ms since the epoch. */
  start: number;
  /** How long it took, ms. */
  duration: number;
  /** OpenTelemetry's status. */
  status: SpanStatus;
  /** The micro error code (or HTTP status) it ended with, when it failed. */
  code?: number;
  /** The status message (a MicroError's detail, cut to 1,000 characters). */
  message?: string;
  /** Its attributes (at most 64, values cut to 1,000 characters). */
  attributes: Record<string, string | number | boolean>;
  /** Its events (at most 32). */
  events?: SpanEvent[];
}

/** A trace, in the list: its root and totals. */
export interface TraceSummary {
  /** The trace's id. */
  traceId: string;
  /** The root span's service (or the earliest span's, when the root is not kept). */
  service: string;
  /** The root span's name. */
  name: string;
  /** The root span's endpoint, when it has one. */
  endpoint?: string;
  /** The earliest start, ms since the epoch. */
  start: number;
  /** From the earliest start to the latest end, ms. */
  duration: number;
  /** Spans kept. */
  spans: number;
  /** Spans whose status is error. */
  errors: number;
  /** Every service with a span in it, sorted. */
  services: string[];
}

/** Which traces to list; all filters must match. */
export interface TraceQuery {
  /** A span of this service is in the trace. */
  service?: string;
  /** A span of this endpoint is in the trace. */
  endpoint?: string;
  /** `error`: traces with an error span; `ok`: traces with none. */
  status?: 'ok' | 'error';
  /** The trace took at least this long, ms. */
  minDuration?: number;
  /** The trace took at most this long, ms. */
  maxDuration?: number;
  /** Started at or after, ms since the epoch. */
  since?: number;
  /** Started before, ms since the epoch. */
  until?: number;
  /** At most this many, newest first (default 50, at most 500). */
  limit?: number;
}

/** One trace with all its kept spans, in start order. */
export interface TraceDetail {
  /** The trace's id. */
  traceId: string;
  /** Its spans, sorted by start. */
  spans: SpanRecord[];
}

/** An edge of the service map: calls from one service to another over the window. */
export interface ServiceEdge {
  /** The calling service (`api` for the gateway, `sidecar`, or a service's name). */
  from: string;
  /** The called service (or, for a publish, `topic:<name>`). */
  to: string;
  /** Calls seen in the window. */
  calls: number;
  /** Of those, failed. */
  errors: number;
  /** Calls per second over the window. */
  rate: number;
  /** Errors per second over the window. */
  errorRate: number;
  /** Median duration of the calls, ms. */
  p50: number;
  /** 99th percentile duration of the calls, ms. */
  p99: number;
}

/** The service map over a window. */
export interface ServiceMap {
  /** The window's start, ms since the epoch. */
  since: number;
  /** The window's end, ms since the epoch. */
  until: number;
  /** Every service seen in the window, sorted. */
  services: string[];
  /** Its edges. */
  edges: ServiceEdge[];
}

/** Keeps spans and reads them back as traces. */
export interface Trace {
  /** Stores spans (a batch of at most 10,000); a span already kept (same trace and span id) is replaced. */
  write(spans: SpanRecord[]): Promise<void>;
  /** Traces matching the query, newest first. */
  list(query?: TraceQuery): Promise<TraceSummary[]>;
  /** A trace's spans; a 404 when none is kept. */
  get(traceId: string): Promise<TraceDetail>;
  /** Which services called which in the window (default: the last 15 minutes). */
  map(query?: { since?: number; until?: number }): Promise<ServiceMap>;
  /** Releases what it holds. */
  close(): Promise<void>;
}

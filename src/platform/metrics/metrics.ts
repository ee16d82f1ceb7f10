// Metrics: every service counts its calls, errors, latency (a histogram per endpoint), requests
// in flight and open streams, exposed for Prometheus at `GET /metrics` on its own port and as JSON
// by Debug.Metrics. The control plane's `metrics` service scrapes Debug.Metrics of every node on
// an interval and keeps a short history in memory (bounded), from which `micro stats` and the
// dashboard read rates, p50/p99 and errors per endpoint. Prometheus is the long-term store.
// Circuits: each node also tells the circuits of its client's breakers (its selector's
// `circuits()`); the metrics service keeps only the latest list per caller node, no history.
import type { CircuitInfo } from '../../runtime/resilience/policy.ts';

/** Latency histogram bucket bounds, in seconds (Prometheus' `le`), shared by every histogram. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** One endpoint's counts since its node started (Debug.Metrics). */
export interface EndpointCounts {
  /** `Handler.Method`, or the topic of a subscriber. */
  endpoint: string;
  /** A unary call, a stream or an event delivered to a subscriber. */
  kind: 'call' | 'stream' | 'event';
  /** Requests answered. */
  calls: number;
  /** Of those, failed (cancelled ones not included). */
  errors: number;
  /** Of those, left by their caller before their end. */
  cancelled: number;
  /** Being served now. */
  inflight: number;
  /** Cumulative counts per bucket of LATENCY_BUCKETS (then +Inf: calls), as Prometheus keeps them. */
  buckets: number[];
  /** Total seconds spent. */
  sum: number;
}

/** What Debug.Metrics answers: one node's counts since it started. */
export interface NodeMetrics {
  /** The node's service. */
  service: string;
  /** The service's version. */
  version: string;
  /** The node's id. */
  node: string;
  /** When the counts were read, ms since the epoch. */
  time: number;
  /** Per endpoint. */
  endpoints: EndpointCounts[];
  /** Streams open now. */
  streams: number;
  /** Messages published and delivered to subscribers by its broker. */
  broker: {
    /** Messages published. */
    published: number;
    /** Messages delivered to its subscribers. */
    delivered: number;
  };
  /** The circuits of the nodes its client called (its selector's breakers), when it has any. */
  circuits?: CircuitInfo[];
}

/** The latest circuits one calling node told the metrics service of. */
export interface NodeCircuits {
  /** The calling service. */
  service: string;
  /** The calling node's id. */
  node: string;
  /** When they were read (the metrics service's clock), ms since the epoch. */
  time: number;
  /** Its circuits, one per node it called (the target service is each one's `service`). */
  circuits: CircuitInfo[];
}

/** One endpoint's figures over one step of the history. */
export interface MetricsPoint {
  /** The step's end, ms since the epoch. */
  time: number;
  /** Requests per second. */
  rate: number;
  /** Errors per second. */
  errorRate: number;
  /** Median latency in the step, ms (0 with no request). */
  p50: number;
  /** 99th percentile latency in the step, ms (0 with no request). */
  p99: number;
}

/** One endpoint of a service, summed over its nodes. */
export interface EndpointSeries {
  /** The service. */
  service: string;
  /** `Handler.Method`, or the topic of a subscriber. */
  endpoint: string;
  /** A unary call, a stream or an event delivered to a subscriber. */
  kind: 'call' | 'stream' | 'event';
  /** Requests per second over the whole window. */
  rate: number;
  /** Errors per second over the whole window. */
  errorRate: number;
  /** Median latency over the whole window, ms. */
  p50: number;
  /** 99th percentile latency over the whole window, ms. */
  p99: number;
  /** Requests counted in the window. */
  calls: number;
  /** Errors counted in the window. */
  errors: number;
  /** Being served now. */
  inflight: number;
  /** One point per step, oldest first (for sparklines). */
  points: MetricsPoint[];
}

/** What the metrics service answers. */
export interface MetricsReport {
  /** The window's end, ms since the epoch. */
  time: number;
  /** The window, ms (default 15 minutes). */
  window: number;
  /** The step between points, ms (the scrape interval). */
  step: number;
  /** Every endpoint with requests in the window, or served by a node seen in it. */
  endpoints: EndpointSeries[];
  /**
   * The latest circuits of each calling node still registered that has any (of one service, when
   * named: the nodes of that service, and the circuits of others' to it). Absent from an older
   * metrics service.
   */
  circuits?: NodeCircuits[];
}

/** Reads the fleet's figures. */
export interface Metrics {
  /** Figures per endpoint (of one service, when named) over the window. */
  query(query?: { service?: string; window?: number }): Promise<MetricsReport>;
  /** Releases what it holds. */
  close(): Promise<void>;
}

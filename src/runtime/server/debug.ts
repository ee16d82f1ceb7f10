import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { EndpointEntry } from './handler.ts';

/** Counters the server keeps for Debug.Stats. */
export interface ServerCounters {
  /** When the server was made, epoch ms. */
  started: number;
  /** Calls and streams received. */
  requests: number;
  /** Calls and streams that failed: refused, or their handler threw. */
  errors: number;
  /** Calls and streams the caller cancelled or closed the connection of before their end. */
  cancelled: number;
  /** Calls and streams being served now. */
  inflight: number;
}

/**
 * The built-in Debug handler every service answers: Health and Stats, and Metrics when `metrics`
 * is given (the platform's request counts, src/platform/metrics: the runtime keeps none itself).
 */
export function debugEndpoints(
  name: string,
  version: string,
  nodeId: string,
  counters: ServerCounters,
  metrics?: () => unknown,
): EndpointEntry[] {
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  const health = async () => ({ status: 'ok', service: name, version, node: nodeId });
  const stats = async () => {
    const mem = process.memoryUsage();
    return {
      service: name,
      version,
      node: nodeId,
      started: Math.floor(counters.started / 1000),
      uptime: Math.floor((Date.now() - counters.started) / 1000),
      memory: mem.rss,
      heapUsed: mem.heapUsed,
      requests: counters.requests,
      errors: counters.errors,
      cancelled: counters.cancelled,
      inflight: counters.inflight,
      eventLoopDelayP99Ms: Math.round(loop.percentile(99) / 1e4) / 100,
      cpu: process.cpuUsage(),
    };
  };
  const entry = (n: string, fn: () => Promise<unknown>): EndpointEntry => ({
    name: n,
    kind: 'unary',
    fn,
    options: {},
    internal: true,
  });
  const list = [entry('Debug.Health', health), entry('Debug.Stats', stats)];
  if (metrics) list.push(entry('Debug.Metrics', async () => metrics()));
  return list;
}

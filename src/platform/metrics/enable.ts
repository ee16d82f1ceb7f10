// Metrics for one service, on by default: the observer that counts its requests, the wrapper that
// counts its publishes, Debug.Metrics, and `GET /metrics` on its port. `MICRO_METRICS=off` turns
// it off (nothing is made: no observer, no route, no Debug.Metrics); any other value but `on` is a
// TypeError at start.
import type { Registry } from 'prom-client';
import type { PublishWrapper } from '../../runtime/client/client.ts';
import type { CircuitInfo } from '../../runtime/resilience/policy.ts';
import { composeObservers, type Observer } from '../../runtime/server/observe.ts';
import type { Server } from '../../runtime/server/server.ts';
import type { Service, ServiceOptions } from '../../runtime/service.ts';
import type { WebHandler } from '../../runtime/transport/transport.ts';
import { registerCircuitMetrics } from './circuits.ts';
import { nodeMetrics } from './debug.ts';
import type { NodeMetrics } from './metrics.ts';
import { metricsObserver, type RequestCounts } from './observer.ts';
import { metricsRoute, render, requestMetrics, type Exposition } from './registry.ts';

/** The path of the Prometheus exposition on every port that serves one. */
export const METRICS_PATH = '/metrics';

/** What a service's metrics give its createService, and what they read. */
export interface ServiceMetrics {
  /** Its request counts. */
  readonly counts: RequestCounts;
  /** Its registry (the micro_* series); more metrics may be registered in it. */
  readonly registry: Registry;
  /** The server's observer (ServiceOptions.observe). */
  readonly observe: Observer;
  /** Counts what the service's client publishes (ServiceOptions.wrapPublish). */
  readonly wrapPublish: PublishWrapper;
  /** Answers Debug.Metrics (ServiceOptions.debugMetrics). */
  readonly debugMetrics: () => NodeMetrics;
  /** `GET /metrics` (ServiceOptions.routes). */
  readonly routes: Record<string, WebHandler>;
  /** The text exposition: the registry, then Node's default metrics. */
  expose(): Promise<Exposition>;
}

/** True unless MICRO_METRICS is `off`; a value other than `on` or `off` is a TypeError. */
export function metricsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.MICRO_METRICS?.trim().toLowerCase();
  if (value === undefined || value === '' || value === 'on') return true;
  if (value === 'off') return false;
  throw new TypeError(`MICRO_METRICS must be on or off, not ${JSON.stringify(env.MICRO_METRICS)}`);
}

/**
 * Metrics of the service named `name`; `server` is read when needed (the node id for
 * Debug.Metrics, the endpoints served when a new name is seen), so it may be set after this is
 * made; so is `circuits` (its selector's circuits, undefined when it keeps none), which adds them
 * to Debug.Metrics and the micro_circuit_* series. Undefined when MICRO_METRICS is off.
 */
export function serviceMetrics(
  name: string,
  server: () => Server | undefined,
  env: NodeJS.ProcessEnv = process.env,
  circuits?: () => CircuitInfo[] | undefined,
): ServiceMetrics | undefined {
  if (!metricsEnabled(env)) return undefined;
  // The names served, made again when a name is not in them (handlers added after the first call).
  let served: Set<string> | undefined;
  const isServed = (endpoint: string): boolean => {
    if (served?.has(endpoint)) return true;
    const s = server();
    if (!s) return false;
    served = new Set(s.record().endpoints.map((e) => e.name));
    return served.has(endpoint);
  };
  const counts = metricsObserver({ service: name, served: isServed });
  const registry = requestMetrics(counts);
  if (circuits) registerCircuitMetrics(registry, () => circuits() ?? []);
  const expose = (): Promise<Exposition> => render(registry);
  return {
    counts,
    registry,
    observe: counts.observe,
    wrapPublish: (next) => async (request) => {
      await next(request);
      counts.publish();
    },
    debugMetrics: () => {
      const s = server();
      const now = circuits?.();
      return nodeMetrics(counts, {
        version: s?.version ?? 'latest',
        node: s?.id ?? '',
        ...(now && { circuits: now }),
      });
    },
    routes: { [METRICS_PATH]: metricsRoute(expose) },
    expose,
  };
}

/** The options with the metrics added: observer first, /metrics (the options' own routes win), publishes counted. */
export function withMetrics(
  options: ServiceOptions,
  metrics: ServiceMetrics | undefined,
): ServiceOptions {
  if (!metrics) return options;
  return {
    ...options,
    observe: composeObservers([metrics.observe, options.observe]),
    debugMetrics: metrics.debugMetrics,
    routes: { ...metrics.routes, ...options.routes },
    wrapPublish: [metrics.wrapPublish, ...(options.wrapPublish ?? [])],
  };
}

/** Makes a service with `create` (the runtime's createService) and its metrics, unless MICRO_METRICS=off. */
export function createMeteredService<S extends Service>(
  create: (options: ServiceOptions) => S,
  options: ServiceOptions,
  env: NodeJS.ProcessEnv = process.env,
): { service: S; metrics: ServiceMetrics | undefined } {
  // Read only when a request comes, once the service is made.
  const metrics = serviceMetrics(
    options.name,
    () => service.server,
    env,
    () => service.selector.circuits?.(),
  );
  const service = create(withMetrics(options, metrics));
  return { service, metrics };
}

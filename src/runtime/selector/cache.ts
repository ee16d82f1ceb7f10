import type { Node, Registry, Service } from '../../registry/registry.ts';
import { RegistryErrors } from '../../registry/registry.ts';
import { forbidden, notFound, serviceUnavailable, unauthorized } from '../errors.ts';
import { skipUnhealthy } from './filter.ts';
import type { Next, SelectOptions, Selector } from './selector.ts';
import type { BreakerOptions, ResiliencyPolicy } from '../resilience/policy.ts';
import { random } from './strategy.ts';

/** Options of the caching selector. */
export interface CacheSelectorOptions {
  /** Where services are looked up and watched. */
  registry: Registry;
  /** Strategy when a call names none; random by default. */
  strategy?: SelectOptions['strategy'];
  /** How long a cached view is trusted without a watch event, in ms (default 60 s). */
  ttl?: number;
  /** How long a failed node is avoided, in ms (default 2 s, doubling while it keeps failing, up to 30 s). */
  penalty?: number;
  /**
   * Each node's circuit breaker (default on, with BreakerOptions' defaults; false: none). A target
   * policy's breaker wins for its service.
   */
  breaker?: BreakerOptions | false;
  /** Resiliency per target service: its `breaker` is the breaker of that service's nodes. */
  policy?: ResiliencyPolicy;
  /**
   * This client's zone and region (default MICRO_ZONE, MICRO_REGION): nodes whose metadata
   * `zone` (else `region`) match are preferred while any of them is usable.
   */
  zone?: string;
  /** See zone. */
  region?: string;
  /** Keep each looked-up service current through a registry watch (default true); one-shot tools turn it off (then a node that fails makes the next call look its service up again). */
  watch?: boolean;
}

interface Entry {
  services: Service[];
  fetched: number;
  stop: () => void;
  watching: boolean;
}

/**
 * The default selector: a per-service cache fed by a registry watch, still served when the
 * registry is down. It skips nodes marked `micro-health: unhealthy` (the control plane's monitor)
 * and nodes that failed lately, unless no other node is left.
 */
export function createSelector(options: CacheSelectorOptions): Selector {
  const { registry } = options;
  const ttl = options.ttl ?? 60_000;
  const basePenalty = options.penalty ?? 2000;
  const cache = new Map<string, Entry>();
  const inflight = new Map<string, Promise<Service[]>>();
  const failures = new Map<string, { until: number; count: number }>();

  const watch = (service: string): (() => void) => {
    const w = registry.watch({ service });
    void (async () => {
      try {
        for await (const ev of w) {
          const entry = cache.get(service);
          if (!entry) continue;
          const others = entry.services.filter((s) => s.version !== ev.service.version);
          entry.services = ev.action === 'delete' ? others : [...others, ev.service];
          entry.fetched = Date.now();
        }
      } catch {
        // The watch broke: the view ages out after ttl and is fetched again.
      }
      const entry = cache.get(service);
      if (entry) {
        entry.fetched = 0;
        entry.watching = false;
      }
    })();
    return () => w.stop();
  };
  const follow = options.watch === false ? (): (() => void) => () => undefined : watch;

  const fetch = (service: string): Promise<Service[]> => {
    let p = inflight.get(service);
    if (p) return p;
    // Watch first, then read: a change between the two is then never missed.
    let entry = cache.get(service);
    if (!entry)
      cache.set(
        service,
        (entry = { services: [], fetched: 0, stop: follow(service), watching: true }),
      );
    else if (!entry.watching) {
      entry.stop = follow(service);
      entry.watching = true;
    }
    const current = entry;
    p = registry.getService(service).then(
      (services) => {
        inflight.delete(service);
        current.services = services;
        current.fetched = Date.now();
        return services;
      },
      (err: Error & { code?: string }) => {
        inflight.delete(service);
        if (err.code === RegistryErrors.notFound) {
          current.stop();
          cache.delete(service);
          throw notFound('micro.client', `${err.message}; micro list services shows what is there`);
        }
        // Refused (auth on, a missing or bad token, or no rule): said as such, not as an outage.
        if (err.code === RegistryErrors.unauthorized)
          throw unauthorized('micro.client', `cannot look up ${service}: ${err.message}`);
        if (err.code === RegistryErrors.forbidden)
          throw forbidden('micro.client', `cannot look up ${service}: ${err.message}`);
        // The registry is unreachable: keep serving what we knew, and ask again in a second.
        if (current.services.length > 0) {
          current.fetched = Date.now() - ttl + 1000;
          return current.services;
        }
        throw serviceUnavailable('micro.client', `cannot look up ${service}: ${err.message}`);
      },
    );
    inflight.set(service, p);
    return p;
  };

  const usable = (nodes: Node[]): Node[] => {
    const now = Date.now();
    const ok = nodes.filter((n) => (failures.get(n.id)?.until ?? 0) <= now);
    return ok.length > 0 ? ok : nodes; // all failing: try them anyway rather than fail outright
  };

  return {
    async select(service, opts = {}): Promise<Next> {
      const entry = cache.get(service);
      let services =
        entry && entry.services.length > 0 && Date.now() - entry.fetched < ttl
          ? entry.services
          : await fetch(service);
      for (const f of opts.filters ?? []) services = f(services);
      // Nodes the control plane's monitor marked unhealthy, unless they are all that is left.
      services = skipUnhealthy(services)
        .map((s) => ({ ...s, nodes: usable(s.nodes) }))
        .filter((s) => s.nodes.length > 0);
      if (services.length === 0) {
        throw serviceUnavailable(
          'micro.client',
          `service ${service} has no node that matches the call's filters (registry: ${registry.name} at ${registry.address})`,
        );
      }
      return (opts.strategy ?? options.strategy ?? random)(services);
    },
    mark(service, node, error) {
      if (!error) {
        if (failures.size > 0) failures.delete(node.id);
        return;
      }
      // Unwatched, a view never learns that its service moved (a restarted control plane's
      // services bind new ports): a failing node makes the next call look the service up again.
      if (options.watch === false) cache.delete(service);
      const prev = failures.get(node.id);
      const count = (prev?.count ?? 0) + 1;
      failures.set(node.id, {
        count,
        until: Date.now() + Math.min(basePenalty * 2 ** (count - 1), 30_000),
      });
    },
    endpointMetadata(service, endpoint) {
      // What every cached version listing the endpoint agrees on.
      let common: Record<string, string> | undefined;
      for (const s of cache.get(service)?.services ?? []) {
        const e = s.endpoints.find((x) => x.name === endpoint);
        if (!e) continue;
        if (!common) common = { ...e.metadata };
        else for (const k of Object.keys(common)) if (common[k] !== e.metadata[k]) delete common[k];
      }
      return common;
    },
    reset(service) {
      cache.get(service)?.stop();
      cache.delete(service);
    },
    close() {
      for (const e of cache.values()) e.stop();
      cache.clear();
    },
  };
}

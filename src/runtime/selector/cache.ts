import type { Registry, Service } from '../../registry/registry.ts';
import { RegistryErrors } from '../../registry/registry.ts';
import { forbidden, notFound, serviceUnavailable, unauthorized } from '../errors.ts';
import { markedUnhealthy, skipUnhealthy } from './filter.ts';
import type { Filter, Next, SelectOptions, Selector } from './selector.ts';
import type { BreakerOptions, ResiliencyPolicy } from '../resilience/policy.ts';
import { CircuitTable } from './circuits.ts';
import { LoadTable } from './load.ts';
import { random, strategyFromEnv } from './strategy.ts';
import { zoneFilter } from './zone.ts';

/** Options of the caching selector. */
export interface CacheSelectorOptions {
  /** Where services are looked up and watched. */
  registry: Registry;
  /** Strategy when a call names none (default MICRO_SELECTOR_STRATEGY, else random). */
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
   * `zone` (else `region`) match are preferred while any of them is usable. '' for none.
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
 * registry is down. It skips nodes whose circuit is open (a 503 with a retry-after when that
 * leaves none), nodes marked `micro-health: unhealthy` (the control plane's monitor) and nodes that
 * could not be reached lately, unless no other node is left. start/Done feed each node's circuit,
 * penalty and load (calls in flight, latency), which is given to the strategy.
 */
export function createSelector(options: CacheSelectorOptions): Selector {
  const { registry } = options;
  const ttl = options.ttl ?? 60_000;
  const basePenalty = options.penalty ?? 2000;
  const cache = new Map<string, Entry>();
  const inflight = new Map<string, Promise<Service[]>>();
  const strategy = options.strategy ?? strategyFromEnv() ?? random;
  const preferZone = zoneFilter(options); // applied last: to the nodes still usable
  const load = new LoadTable();
  const circuits = new CircuitTable({
    breaker: options.breaker,
    policy: options.policy,
    penalty: basePenalty,
    load,
    // Unwatched, a view never learns that its service moved (a restarted control plane's
    // services bind new ports): a node that cannot be reached makes the next call look it up again.
    onFault: options.watch === false ? (service) => cache.delete(service) : undefined,
  });

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
          circuits.keep(service, entry.services);
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
        circuits.keep(service, services);
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

  return {
    async select(service, opts = {}): Promise<Next> {
      const entry = cache.get(service);
      let services =
        entry && entry.services.length > 0 && Date.now() - entry.fetched < ttl
          ? entry.services
          : await fetch(service);
      let emptied: Filter | undefined;
      for (const f of opts.filters ?? []) {
        const had = services.length > 0;
        services = f(services);
        if (had && services.length === 0) emptied ??= f;
      }
      // Open circuits are skipped (none left: a 503); then, unless they are all that is left,
      // nodes the control plane's monitor marked unhealthy and nodes that could not be reached.
      services = circuits.admit(service, services);
      services = circuits.avoid(service, skipUnhealthy(services));
      if (services.some((s) => s.nodes.length === 0))
        services = services.filter((s) => s.nodes.length > 0);
      if (services.length === 0) {
        throw serviceUnavailable(
          'micro.client',
          `service ${service} has no node that matches ${emptied?.label ?? "the call's filters"} (registry: ${registry.name} at ${registry.address})`,
        );
      }
      services = preferZone(
        services,
        (n) => !markedUnhealthy(n) && !circuits.penalised(service, n),
      );
      return (opts.strategy ?? strategy)(services, load);
    },
    mark(service, node, error) {
      circuits.record(service, node, error);
    },
    start(service, node) {
      return circuits.start(service, node);
    },
    circuits() {
      return circuits.circuits();
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
      circuits.clear();
    },
  };
}

import { WatcherSet } from './channel.ts';
import type {
  Node,
  RegisterOptions,
  Registry,
  RegistryOptions,
  Service,
  WatchEvent,
  WatchOptions,
  Watcher,
} from './registry.ts';
import { RegistryError, RegistryErrors } from './registry.ts';
import { copyService } from './util.ts';
import { recordCheck } from './validate.ts';

interface Entry {
  node: Node;
  expires: number;
}

interface Version {
  service: Omit<Service, 'nodes'>;
  nodes: Map<string, Entry>;
}

/** One node as a RegistryStore loads it: with its service version and its lease end. */
export interface StoredNode {
  /** The service version's description, without nodes. */
  service: Omit<Service, 'nodes'>;
  /** The node itself. */
  node: Node;
  /** When the lease ends, in epoch milliseconds. */
  expires: number;
}

/** Where a registry writes its state through to, so it survives a restart (see sqlite.ts). */
export interface RegistryStore {
  /** Every node stored, with its service version; expired ones are dropped by the next sweep. */
  load(): StoredNode[];
  /** Writes a service version's description and the given nodes with their lease ends. */
  upsert(service: Omit<Service, 'nodes'>, nodes: { node: Node; expires: number }[]): void;
  /**
   * Optional: the same as upsert, for a heartbeat that changes nothing but the lease ends (the
   * version and the nodes are stored exactly as given); a store can write just the lease ends.
   */
  touch?(service: Omit<Service, 'nodes'>, nodes: { node: Node; expires: number }[]): void;
  /** Removes nodes; a version left without nodes is removed too. */
  remove(name: string, version: string, ids: string[]): void;
  /** Releases the store (closes its database); called when the registry closes. */
  close(): void;
}

/** Options of the in-process registry. */
export interface MemoryRegistryOptions extends RegistryOptions {
  /** How often expired leases are swept, in milliseconds. */
  sweepInterval?: number;
  /** Write-through persistence; none by default. */
  store?: RegistryStore;
  /** The name to report, when a store makes it something else. */
  name?: string;
}

/**
 * Lease ends held in memory are on the monotonic clock: a step of the wall clock (NTP on a fresh
 * machine) would otherwise end every lease at once. The store keeps wall-clock times.
 */
const clock = (): number => performance.now();

/** A registry held in this process: for tests and single-process programs. */
export function createMemoryRegistry(options: MemoryRegistryOptions = {}): Registry {
  const services = new Map<string, Map<string, Version>>();
  const watchers = new WatcherSet();
  const sweepEvery = options.sweepInterval ?? 200;
  const store = options.store;
  const label = options.name ?? 'memory';
  const check = recordCheck(options);
  if (store) {
    const now = Date.now();
    for (const row of store.load()) {
      // Rows written by an older micro may break today's rules, or have no lease end (forever).
      if (!check.accept({ ...row.service, nodes: [row.node] }, `the ${label} database`)) continue;
      row.expires = clock() + Math.min(row.expires - now, check.limits.maxTtl);
      let versions = services.get(row.service.name);
      if (!versions) services.set(row.service.name, (versions = new Map<string, Version>()));
      let v = versions.get(row.service.version);
      if (!v) versions.set(row.service.version, (v = { service: row.service, nodes: new Map() }));
      v.nodes.set(row.node.id, { node: row.node, expires: row.expires });
    }
  }

  // The version as it is now, sharing this registry's objects: emit gives each watcher its own copy.
  const view = (v: Version): Service => ({
    ...v.service,
    nodes: [...v.nodes.values()].map((e) => e.node),
  });

  const emit = (action: WatchEvent['action'], service: Service): void =>
    watchers.emit(action, service);

  const sweep = (): void => {
    const now = clock();
    for (const versions of services.values()) {
      for (const [key, v] of versions) {
        const removed: string[] = [];
        for (const [id, e] of v.nodes) {
          if (e.expires <= now) {
            v.nodes.delete(id);
            removed.push(id);
          }
        }
        if (removed.length === 0) continue;
        store?.remove(v.service.name, v.service.version, removed);
        if (v.nodes.size === 0) {
          versions.delete(key);
          emit('delete', view(v));
        } else emit('update', view(v));
      }
    }
    for (const [name, versions] of services) if (versions.size === 0) services.delete(name);
  };
  const timer = setInterval(sweep, sweepEvery);
  timer.unref();

  const live = (v: Version): boolean => {
    const now = clock();
    for (const e of v.nodes.values()) if (e.expires > now) return true;
    return false;
  };
  const liveSnapshot = (v: Version): Service => {
    const now = clock();
    return copyService({
      ...v.service,
      nodes: [...v.nodes.values()].filter((e) => e.expires > now).map((e) => e.node),
    });
  };

  return {
    name: label,
    address: label,
    async register(service: Service, opts: RegisterOptions = {}) {
      const ttl = check.registration(service, opts);
      const expires = clock() + ttl;
      let versions = services.get(service.name);
      if (!versions) services.set(service.name, (versions = new Map<string, Version>()));
      const existing = versions.get(service.version);
      const { nodes, ...rest } = copyService(service);
      const leases = nodes.map((node) => ({ node, expires: Date.now() + ttl })); // as stored
      if (!existing) {
        store?.upsert(rest, leases);
        const v: Version = {
          service: rest,
          nodes: new Map(nodes.map((n) => [n.id, { node: n, expires }])),
        };
        versions.set(service.version, v);
        emit('create', view(v));
        return;
      }
      // A heartbeat re-registers what is there: then only the leases change, and no event is due.
      const changed =
        !sameJson(existing.service, rest) ||
        nodes.some((n) => {
          const prev = existing.nodes.get(n.id);
          return !prev || !sameJson(prev.node, n);
        });
      if (!store) {
        // nothing to write
      } else if (changed || !store.touch) store.upsert(rest, leases);
      else store.touch(rest, leases);
      existing.service = rest;
      for (const n of nodes) existing.nodes.set(n.id, { node: n, expires });
      if (changed) emit('update', view(existing));
    },
    async deregister(service: Service) {
      check.deregistration(service);
      const versions = services.get(service.name);
      const v = versions?.get(service.version);
      if (!versions || !v) return;
      store?.remove(
        service.name,
        service.version,
        service.nodes.map((n) => n.id),
      );
      for (const n of service.nodes) v.nodes.delete(n.id);
      if (v.nodes.size === 0) {
        versions.delete(service.version);
        if (versions.size === 0) services.delete(service.name);
        emit('delete', view(v));
      } else emit('update', view(v));
    },
    async getService(name: string) {
      const found = [...(services.get(name)?.values() ?? [])].filter(live).map(liveSnapshot);
      if (found.length === 0)
        throw new RegistryError(
          RegistryErrors.notFound,
          `service ${name} not found in the ${label} registry`,
        );
      return found;
    },
    async listServices() {
      return [...services.values()].flatMap((versions) =>
        [...versions.values()].filter(live).map(liveSnapshot),
      );
    },
    watch: (wopts: WatchOptions = {}): Watcher => watchers.watch(wopts),
    async close() {
      clearInterval(timer);
      watchers.close();
      store?.close();
    },
  };
}

/**
 * Whether JSON.stringify(a) === JSON.stringify(b), found without building the strings for plain
 * data (strings, finite numbers, booleans, null, arrays, plain objects, compared key by key in
 * order); anything else, such as undefined members, non-finite numbers, toJSON or a deep or
 * cyclic structure, is decided by JSON.stringify itself.
 */
function sameJson(a: unknown, b: unknown): boolean {
  const same = sameData(a, b, 0);
  return same ?? JSON.stringify(a) === JSON.stringify(b);
}

/** true or false for plain data; undefined when JSON.stringify's own rules must decide. */
function sameData(a: unknown, b: unknown, depth: number): boolean | undefined {
  if (typeof a === 'string' || typeof a === 'boolean' || a === null)
    return typeof b === 'string' || typeof b === 'boolean' || b === null
      ? a === b
      : plainScalar(b)
        ? false
        : undefined;
  if (typeof a === 'number') {
    if (!Number.isFinite(a)) return undefined;
    if (typeof b === 'number') return Number.isFinite(b) ? a === b : undefined;
    return plainScalar(b) ? false : undefined;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || b === null || depth > 64) return undefined;
  if (Array.isArray(a)) {
    if (!Array.isArray(b)) return plainContainer(b) ? false : undefined;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      const same = sameData(a[i], b[i], depth + 1);
      if (same !== true) return same;
    }
    return true;
  }
  if (!plainContainer(a) || !plainContainer(b) || Array.isArray(b)) return undefined;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) {
    // Members whose value JSON leaves out (undefined) would make unequal counts equal text.
    return undefined;
  }
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i]) return undefined;
    const same = sameData(
      (a as Record<string, unknown>)[ka[i]!],
      (b as Record<string, unknown>)[kb[i]!],
      depth + 1,
    );
    if (same !== true) return same;
  }
  return true;
}

/** A value JSON writes as itself: a string, a finite number, a boolean or null. */
const plainScalar = (v: unknown): boolean =>
  typeof v === 'string' ||
  typeof v === 'boolean' ||
  v === null ||
  (typeof v === 'number' && Number.isFinite(v));

/** An array, or an object of Object's or no prototype without toJSON. */
function plainContainer(v: unknown): v is object {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v) as unknown;
  return (proto === Object.prototype || proto === null) && !('toJSON' in v);
}

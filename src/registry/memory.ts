import { Channel } from './channel.ts';
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
import { copyService, validateService } from './util.ts';

interface Entry {
  node: Node;
  expires: number;
}

interface Version {
  service: Omit<Service, 'nodes'>;
  nodes: Map<string, Entry>;
}

/** Where a registry writes its state through to, so it survives a restart (see sqlite.ts). */
export interface RegistryStore {
  /** Every node stored, with its service version; expired ones are dropped by the next sweep. */
  load(): { service: Omit<Service, 'nodes'>; node: Node; expires: number }[];
  /** Writes a service version's description and the given nodes with their lease ends. */
  upsert(service: Omit<Service, 'nodes'>, nodes: { node: Node; expires: number }[]): void;
  /** Removes nodes; a version left without nodes is removed too. */
  remove(name: string, version: string, ids: string[]): void;
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

/** A registry held in this process: for tests and single-process programs. */
export function createMemoryRegistry(options: MemoryRegistryOptions = {}): Registry {
  const services = new Map<string, Map<string, Version>>();
  const watchers = new Set<{ filter: string | undefined; channel: Channel<WatchEvent> }>();
  const sweepEvery = options.sweepInterval ?? 200;
  const store = options.store;
  const label = options.name ?? 'memory';
  if (store) {
    for (const row of store.load()) {
      let versions = services.get(row.service.name);
      if (!versions) services.set(row.service.name, (versions = new Map<string, Version>()));
      let v = versions.get(row.service.version);
      if (!v) versions.set(row.service.version, (v = { service: row.service, nodes: new Map() }));
      v.nodes.set(row.node.id, { node: row.node, expires: row.expires });
    }
  }

  const snapshot = (v: Version): Service =>
    copyService({ ...v.service, nodes: [...v.nodes.values()].map((e) => e.node) });

  const emit = (action: WatchEvent['action'], service: Service): void => {
    for (const w of watchers) {
      if (w.filter === undefined || w.filter === service.name)
        w.channel.push({ action, service: copyService(service) });
    }
  };

  const sweep = (): void => {
    const now = Date.now();
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
          emit('delete', snapshot(v));
        } else emit('update', snapshot(v));
      }
    }
    for (const [name, versions] of services) if (versions.size === 0) services.delete(name);
  };
  const timer = setInterval(sweep, sweepEvery);
  timer.unref();

  const live = (v: Version): boolean => {
    const now = Date.now();
    for (const e of v.nodes.values()) if (e.expires > now) return true;
    return false;
  };
  const liveSnapshot = (v: Version): Service => {
    const now = Date.now();
    return copyService({
      ...v.service,
      nodes: [...v.nodes.values()].filter((e) => e.expires > now).map((e) => e.node),
    });
  };

  return {
    name: label,
    address: label,
    async register(service: Service, opts: RegisterOptions = {}) {
      validateService(service);
      const ttl = opts.ttl ?? 0;
      const expires = ttl > 0 ? Date.now() + ttl : Number.POSITIVE_INFINITY;
      let versions = services.get(service.name);
      if (!versions) services.set(service.name, (versions = new Map<string, Version>()));
      const existing = versions.get(service.version);
      const { nodes, ...rest } = copyService(service);
      store?.upsert(
        rest,
        nodes.map((node) => ({ node, expires })),
      );
      if (!existing) {
        const v: Version = {
          service: rest,
          nodes: new Map(nodes.map((n) => [n.id, { node: n, expires }])),
        };
        versions.set(service.version, v);
        emit('create', snapshot(v));
        return;
      }
      let changed = JSON.stringify(existing.service) !== JSON.stringify(rest);
      existing.service = rest;
      for (const n of nodes) {
        const prev = existing.nodes.get(n.id);
        if (!prev || JSON.stringify(prev.node) !== JSON.stringify(n)) changed = true;
        existing.nodes.set(n.id, { node: n, expires });
      }
      if (changed) emit('update', snapshot(existing));
    },
    async deregister(service: Service) {
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
        emit('delete', snapshot(v));
      } else emit('update', snapshot(v));
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
    watch(wopts: WatchOptions = {}): Watcher {
      const entry = { filter: wopts.service, channel: undefined as unknown as Channel<WatchEvent> };
      entry.channel = new Channel<WatchEvent>(() => watchers.delete(entry));
      watchers.add(entry);
      const channel = entry.channel;
      return {
        stop: () => channel.close(),
        [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator](),
      };
    },
    async close() {
      clearInterval(timer);
      for (const w of watchers) w.channel.close();
      store?.close();
    },
  };
}

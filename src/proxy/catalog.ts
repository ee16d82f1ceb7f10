import type { Registry, Service } from '../registry/registry.ts';
import { createBackoff } from './backoff.ts';
import { cleanService, cleanServices, sameRecord } from './record.ts';

/** Options of the catalog. */
export interface CatalogOptions {
  /** The registry read and watched. */
  registry: Registry;
  /** Ms between full re-reads, a safety net under the watch (default 60 s). */
  refresh?: number;
  /** Ms a name the registry did not know is remembered as unknown (default 500). */
  negativeTtl?: number;
}

/** Every service the registry lists, kept current by a watch: what routes, OpenAPI and handlers read. */
export interface Catalog {
  /** The versions of a service, from memory; undefined when it is not known (yet). */
  get(name: string): Service[] | undefined;
  /** Like get, asking the registry on a miss (a service may have registered a moment ago). */
  lookup(name: string): Promise<Service[] | undefined>;
  /** Every service version known. */
  all(): Service[];
  /** Changes whenever the catalog does, so derived views know when to rebuild. */
  readonly generation: number;
  /** Resolves once the first full read is done (or failed). */
  readonly ready: Promise<void>;
  /** Stops the watch and the re-reads. */
  close(): void;
}

/** Creates a catalog: it watches the registry first, then reads it, and re-reads whenever the watch breaks. */
export function createCatalog(options: CatalogOptions): Catalog {
  const { registry } = options;
  const negativeTtl = options.negativeTtl ?? 500;
  let byName = new Map<string, Map<string, Service>>();
  const unknown = new Map<string, number>();
  const inflight = new Map<string, Promise<Service[] | undefined>>();
  let generation = 0;
  let closed = false;
  let stopWatch: (() => void) | undefined;

  // Records are cleaned on the way in (callers clean them): what reads the catalog sees strings
  // where it expects them, whatever a registry holds. A record equal to the one held changes
  // nothing: the object held is kept and the generation stays, so derived views stay built.
  const put = (s: Service): void => {
    unknown.delete(s.name);
    let versions = byName.get(s.name);
    const held = versions?.get(s.version);
    if (s.nodes.length === 0 ? !held : held && sameRecord(held, s)) return;
    if (!versions) byName.set(s.name, (versions = new Map<string, Service>()));
    if (s.nodes.length === 0) versions.delete(s.version);
    else versions.set(s.version, s);
    if (versions.size === 0) byName.delete(s.name);
    generation++;
  };

  // A full read replaces what is held; records that did not change keep their objects.
  const relist = async (): Promise<void> => {
    try {
      const list = cleanServices(await registry.listServices());
      const fresh = new Map<string, Map<string, Service>>();
      let changed = false;
      for (const s of list) {
        if (s.nodes.length === 0) continue;
        const held = byName.get(s.name)?.get(s.version);
        const kept = held && sameRecord(held, s) ? held : s;
        if (kept !== held) changed = true;
        let versions = fresh.get(s.name);
        if (!versions) fresh.set(s.name, (versions = new Map<string, Service>()));
        versions.set(s.version, kept);
        unknown.delete(s.name);
      }
      for (const [name, versions] of byName)
        if (fresh.get(name)?.size !== versions.size) changed = true;
      byName = fresh;
      if (changed) generation++;
      backoff.reset();
    } catch {
      backoff.schedule();
    }
  };

  // Watch first, then read: a change between the two is then never missed.
  const resync = async (): Promise<void> => {
    if (closed) return;
    stopWatch?.();
    const watcher = registry.watch();
    const stop = (): void => watcher.stop();
    stopWatch = stop;
    void (async () => {
      try {
        for await (const ev of watcher) {
          const s = cleanService(ev.service);
          if (s) put(ev.action === 'delete' ? { ...s, nodes: [] } : s);
        }
      } catch {
        // the watch broke: start again below
      }
      if (!closed && stopWatch === stop) {
        stopWatch = undefined;
        backoff.schedule();
      }
    })();
    await relist();
  };

  const backoff = createBackoff(() => void resync(), 10_000);
  const ready = resync();
  const refresh = setInterval(() => void relist(), options.refresh ?? 60_000);
  refresh.unref();

  const get = (name: string): Service[] | undefined => {
    const versions = byName.get(name);
    return versions ? [...versions.values()] : undefined;
  };

  return {
    get,
    async lookup(name) {
      const known = get(name);
      if (known) return known;
      if ((unknown.get(name) ?? 0) > Date.now()) return undefined;
      let p = inflight.get(name);
      if (!p) {
        p = registry.getService(name).then(
          (list) => {
            inflight.delete(name);
            for (const s of cleanServices(list)) if (!byName.get(name)?.has(s.version)) put(s);
            return get(name);
          },
          () => {
            inflight.delete(name);
            if (unknown.size > 10_000) unknown.clear();
            unknown.set(name, Date.now() + negativeTtl);
            return undefined;
          },
        );
        inflight.set(name, p);
      }
      return p;
    },
    all: () => [...byName.values()].flatMap((v) => [...v.values()]),
    get generation() {
      return generation;
    },
    ready,
    close() {
      closed = true;
      clearInterval(refresh);
      backoff.stop();
      stopWatch?.();
      stopWatch = undefined;
    },
  };
}

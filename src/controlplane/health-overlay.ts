// The monitor's marks on the registry the control plane serves: a node the monitor found unhealthy
// is served with the metadata `micro-health: unhealthy` (which the default selector skips while
// another node is left) until the monitor finds it healthy again. The mark is an overlay applied on
// every read, never stored, so the node's own re-registration does not wipe it; each mark or
// unmark is sent to the open watches as an `update` of the node's service version.
//
// Limits: at most MAX_MARKS nodes marked (more are not marked); a watch's update for a mark is the
// version as the registry holds it at that moment, read once, so it may follow a later change of
// that version by a moment. A restarted control plane starts with no marks.
import { WATCH_BACKLOG, Channel } from '../registry/channel.ts';
import type { Registry, Service, WatchEvent, WatchOptions, Watcher } from '../registry/registry.ts';
import { HEALTH_KEY } from '../runtime/selector/filter.ts';

/** Nodes marked, at most. */
const MAX_MARKS = 100_000;

/** What healthOverlay gives. */
export interface HealthOverlay {
  /** The registry to serve: the one given, marked nodes carrying `micro-health: unhealthy`. */
  readonly registry: Registry;
  /** Marks a node unhealthy, or clears its mark; a change is sent to the watches. */
  readonly mark: (service: string, version: string, node: string, unhealthy: boolean) => void;
}

const keyOf = (service: string, version: string, node: string): string =>
  JSON.stringify([service, version, node]);

/** Serves `registry` with the monitor's marks on its nodes. */
export function healthOverlay(registry: Registry): HealthOverlay {
  const marks = new Set<string>();
  const watches = new Set<{ channel: Channel<WatchEvent>; service?: string }>();

  /** The version with its marked nodes carrying the mark (a copy when any is marked). */
  const apply = (s: Service): Service => {
    if (marks.size === 0 || !s.nodes.some((n) => marks.has(keyOf(s.name, s.version, n.id))))
      return s;
    return {
      ...s,
      nodes: s.nodes.map((n) =>
        marks.has(keyOf(s.name, s.version, n.id))
          ? { ...n, metadata: { ...n.metadata, [HEALTH_KEY]: 'unhealthy' } }
          : n,
      ),
    };
  };

  /** Sends the version as it now is to the watches that follow it. */
  const announce = async (service: string, version: string): Promise<void> => {
    const versions = await registry.getService(service).catch(() => [] as Service[]);
    const s = versions.find((v) => v.version === version);
    if (!s) return;
    const event: WatchEvent = { action: 'update', service: apply(s) };
    for (const w of watches) if (!w.service || w.service === service) w.channel.push(event);
  };

  const watch = (options: WatchOptions = {}): Watcher => {
    const inner = registry.watch(options);
    const entry = {
      channel: new Channel<WatchEvent>(() => {
        watches.delete(entry);
        inner.stop();
      }, WATCH_BACKLOG),
      service: options.service,
    };
    watches.add(entry);
    void (async () => {
      try {
        for await (const e of inner)
          entry.channel.push(e.action === 'delete' ? e : { ...e, service: apply(e.service) });
      } catch {
        // The inner watch broke: this one ends too, and its reader reads the registry again.
      }
      entry.channel.close();
    })();
    return {
      [Symbol.asyncIterator]: () => entry.channel[Symbol.asyncIterator](),
      stop: () => entry.channel.close(),
    };
  };

  return {
    registry: {
      name: registry.name,
      address: registry.address,
      register: (service, options) => registry.register(service, options),
      deregister: (service) => registry.deregister(service),
      getService: async (name) => (await registry.getService(name)).map(apply),
      listServices: async () => (await registry.listServices()).map(apply),
      watch,
      close: () => registry.close(),
    },
    mark(service, version, node, unhealthy) {
      const key = keyOf(service, version, node);
      if (unhealthy === marks.has(key)) return;
      if (unhealthy) {
        if (marks.size >= MAX_MARKS) return;
        marks.add(key);
      } else marks.delete(key);
      void announce(service, version);
    },
  };
}

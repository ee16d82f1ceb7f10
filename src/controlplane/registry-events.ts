// The registry's announcements on `micro.registry` (src/platform/events/platform.ts): a watch of
// the registry the control plane serves, diffed node by node against what it saw before, so that
// each node that comes is a `register` and each that goes is a `deregister` (when removed through
// the registry given here: the Registry service, the supervisor's clean-up of a dead process) or
// an `expire` (its lease lapsed). Heartbeats change nothing and announce nothing.
//
// Limits: nodes removed behind the control plane's back (another process writing to an etcd or
// NATS registry directly) count as expired. When the watch ends on its own (a reader too far
// behind), the registry is read again and the difference announced, so nothing is lost but the
// order within the gap.
import type { Node, Registry, Service, WatchEvent } from '../registry/registry.ts';
import {
  PLATFORM_TOPICS,
  type PlatformEmit,
  type PlatformRegistryEvent,
} from '../platform/events/platform.ts';

/** Deregistrations waiting for the watch to report them, at most (older ones are forgotten). */
const MAX_MARKS = 10_000;
/** Ms between a watch that ended and the next. */
const RETRY = 1000;

/** What registryEvents gives. */
export interface RegistryEvents {
  /** The registry to serve: the one given, noting each deregistration made through it. */
  readonly registry: Registry;
  /** Stops watching. */
  stop(): void;
}

const versionKey = (name: string, version: string): string => JSON.stringify([name, version]);
const nodeKey = (name: string, version: string, id: string): string =>
  JSON.stringify([name, version, id]);

/** The summary line of a change. */
function summary(action: PlatformRegistryEvent['action'], s: Service, node: Node): string {
  const at = `${s.name} ${s.version || '(no version)'} node ${node.id}`;
  if (action === 'register') return `${at} up at ${node.address}`;
  if (action === 'deregister') return `${at} at ${node.address} deregistered`;
  return `${at} at ${node.address} expired (lease not renewed)`;
}

/** Watches registry and announces its nodes' comings and goings through emit. */
export function registryEvents(registry: Registry, emit: PlatformEmit): RegistryEvents {
  /** The nodes seen, by service version. */
  const known = new Map<string, { service: Service; nodes: Map<string, Node> }>();
  /** Nodes deregistered through the registry given out, until the watch reports them gone. */
  const marks = new Set<string>();
  let stopped = false;
  let watcher: ReturnType<Registry['watch']> | undefined;

  const send = (action: PlatformRegistryEvent['action'], s: Service, node: Node): void => {
    const change: PlatformRegistryEvent = {
      action,
      service: s.name,
      version: s.version,
      node: node.id,
      address: node.address,
      summary: summary(action, s, node),
    };
    emit(PLATFORM_TOPICS.registry, { ...change });
  };
  const gone = (s: Service, node: Node): void => {
    const key = nodeKey(s.name, s.version, node.id);
    send(marks.delete(key) ? 'deregister' : 'expire', s, node);
  };
  /** Makes known[version] what `nodes` says, announcing the difference. */
  const update = (s: Service, nodes: Node[]): void => {
    const key = versionKey(s.name, s.version);
    const before = known.get(key)?.nodes ?? new Map<string, Node>();
    const after = new Map(nodes.map((n) => [n.id, n]));
    for (const [id, n] of after) if (!before.has(id)) send('register', s, n);
    for (const [id, n] of before) if (!after.has(id)) gone(s, n);
    if (after.size === 0) known.delete(key);
    else known.set(key, { service: s, nodes: after });
  };
  const seen = (event: WatchEvent): void =>
    update(event.service, event.action === 'delete' ? [] : event.service.nodes);
  /** Reads the whole registry and announces what differs from what was seen. */
  const resync = async (announce: boolean): Promise<void> => {
    const all = await registry.listServices();
    const listed = new Set<string>();
    for (const s of all) {
      listed.add(versionKey(s.name, s.version));
      if (announce) update(s, s.nodes);
      else
        known.set(versionKey(s.name, s.version), {
          service: s,
          nodes: new Map(s.nodes.map((n) => [n.id, n])),
        });
    }
    for (const [key, v] of [...known]) if (!listed.has(key)) update(v.service, []);
  };
  const watch = async (): Promise<void> => {
    let first = true;
    while (!stopped) {
      try {
        // The watch first, then the listing: a change between the two is seen by both, not missed.
        const w = registry.watch();
        watcher = w;
        await resync(!first);
        first = false;
        for await (const event of w) seen(event);
      } catch {
        // The registry does not answer: try again below.
      }
      watcher?.stop();
      if (!stopped) await new Promise((r) => setTimeout(r, RETRY).unref());
    }
  };
  void watch();

  const served: Registry = {
    name: registry.name,
    address: registry.address,
    register: (service, options) => registry.register(service, options),
    deregister: (service) => {
      if (marks.size >= MAX_MARKS) marks.clear();
      for (const n of service.nodes) marks.add(nodeKey(service.name, service.version, n.id));
      return registry.deregister(service);
    },
    getService: (name) => registry.getService(name),
    listServices: () => registry.listServices(),
    watch: (options) => registry.watch(options),
    close: () => registry.close(),
  };
  return {
    registry: served,
    stop() {
      stopped = true;
      watcher?.stop();
    },
  };
}

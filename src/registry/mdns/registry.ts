// The mDNS registry's factory: what it heard and published, leases, and the Registry methods.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { WatcherSet } from '../channel.ts';
import type {
  Node,
  RegisterOptions,
  Registry,
  RegistryOptions,
  Service,
  WatchEvent,
  WatchOptions,
  Watcher,
} from '../registry.ts';
import { RegistryError, RegistryErrors } from '../registry.ts';
import { copyService } from '../util.ts';
import { recordCheck } from '../validate.ts';
import { Announcer } from './announce.ts';
import { decodeTxt, instanceName, nodeTxt, portOf, txtQuestion } from './records.ts';

/** Options of the multicast DNS registry. */
export interface MdnsRegistryOptions extends RegistryOptions {
  /** IPv4 address of the interface to multicast on; the default keeps discovery on this host. */
  interface?: string;
  /** DNS-SD service type every node is published under (`_micro._tcp.local`). */
  domain?: string;
  /** How often leases are checked, in milliseconds. */
  sweepInterval?: number;
}

interface Entry {
  /** The service with this one node. */
  service: Service;
  /** Lease in milliseconds. */
  ttl: number;
  lastSeen: number;
  /** Published by this registry, not learned from the network. */
  own: boolean;
  /** A refresh query was sent since the entry was last seen. */
  queried: boolean;
}

/** A registry that publishes each node as a DNS-SD service over multicast DNS: no daemon, opt-in. */
export function createMdnsRegistry(options: MdnsRegistryOptions = {}): Registry {
  const iface = options.interface ?? '127.0.0.1';
  const domain = options.domain ?? 'micro';
  const timeout = options.timeout ?? 300;
  const sweepEvery = options.sweepInterval ?? 100;
  if (!/^[A-Za-z0-9-]{1,15}$/.test(domain))
    throw new TypeError(`mDNS domain must be 1 to 15 letters, digits or hyphens: ${domain}`);
  const typeName = `_${domain.toLowerCase()}._tcp.local`;
  const rid = randomBytes(4).toString('hex');
  const startedAt = Date.now();
  const check = recordCheck(options);

  const entries = new Map<string, Entry>();
  const watchers = new WatcherSet();
  let closed = false;

  const socket = new Announcer(iface, domain, (packet) => {
    const now = Date.now();
    for (const rr of [...packet.answers, ...(packet.additionals ?? [])]) {
      const fqdn = (rr.type === 'PTR' ? String(rr.data) : rr.name).toLowerCase();
      if (!fqdn.endsWith(`.${typeName}`)) continue;
      const known = entries.get(fqdn);
      if (rr.ttl === 0 && (rr.type === 'PTR' || rr.type === 'TXT')) {
        if (known && !known.own) apply([[fqdn, undefined]]);
      } else if (rr.type === 'TXT' && rr.ttl > 0) see(fqdn, rr.data, now);
    }
  });
  const browse = (): void => socket.query([{ name: typeName, type: 'PTR' }]);
  browse();

  /** Records a node heard on the network; our own echoes carry our rid and are skipped. */
  const see = (key: string, data: unknown, now: number): void => {
    const decoded = decodeTxt(data, check, `mDNS on ${iface} (${key})`);
    if (!decoded || decoded.rid === rid) return;
    const prev = entries.get(key);
    if (prev?.own) return;
    if (prev && JSON.stringify(prev.service) === JSON.stringify(decoded.service)) {
      Object.assign(prev, { ttl: decoded.ttl, lastSeen: now, queried: false });
      return;
    }
    const { service, ttl } = decoded;
    apply([[key, { service, ttl, lastSeen: now, own: false, queried: false }]]);
  };

  const versionKey = (s: Service): string => `${s.name}\n${s.version}`;

  /** The version as now known: nodes sorted by id, other fields from the node heard last. */
  const snapshot = (vkey: string): Service | undefined => {
    let latest: Entry | undefined;
    const nodes: Node[] = [];
    for (const e of entries.values()) {
      if (versionKey(e.service) !== vkey) continue;
      if (!latest || e.lastSeen >= latest.lastSeen) latest = e;
      nodes.push(...e.service.nodes);
    }
    if (!latest) return undefined;
    nodes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return copyService({ ...latest.service, nodes });
  };

  const emit = (action: WatchEvent['action'], service: Service): void =>
    watchers.emit(action, service);

  /** Changes entries and tells watchers what each touched version became. */
  const apply = (changes: [string, Entry | undefined][]): void => {
    const touched = new Set<string>();
    for (const [key, next] of changes) {
      const prev = entries.get(key);
      if (prev) touched.add(versionKey(prev.service));
      if (next) touched.add(versionKey(next.service));
    }
    const before = new Map([...touched].map((k) => [k, snapshot(k)]));
    for (const [key, next] of changes) {
      if (next) entries.set(key, next);
      else entries.delete(key);
    }
    for (const k of touched) {
      const was = before.get(k);
      const now = snapshot(k);
      if (!was && now) emit('create', now);
      else if (was && !now) emit('delete', was);
      else if (was && now && JSON.stringify(was) !== JSON.stringify(now)) emit('update', now);
    }
  };

  const sweep = (): void => {
    const now = Date.now();
    const expired: [string, undefined][] = [];
    const ask: string[] = [];
    for (const [key, e] of entries) {
      if (e.ttl <= 0) continue;
      const age = now - e.lastSeen;
      if (age >= e.ttl) {
        expired.push([key, undefined]);
        if (e.own) void socket.unpublish(key);
      } else if (!e.own && !e.queried && age >= e.ttl * 0.6) {
        // A lost announcement should not expire a live node: ask its publisher before the lease runs out.
        e.queried = true;
        ask.push(key);
      }
    }
    if (expired.length > 0) apply(expired);
    if (ask.length > 0) socket.query(ask.map(txtQuestion));
  };
  const timer = setInterval(sweep, sweepEvery);
  timer.unref();

  const versionsOf = (name?: string): Service[] => {
    const keys = new Set<string>();
    for (const e of entries.values())
      if (name === undefined || e.service.name === name) keys.add(versionKey(e.service));
    return [...keys].flatMap((k) => snapshot(k) ?? []);
  };

  const open = (): void => {
    if (closed) throw new RegistryError(RegistryErrors.unavailable, `mDNS on ${iface} is closed`);
  };

  return {
    name: 'mdns',
    address: iface,
    async register(service: Service, opts: RegisterOptions = {}) {
      const ttl = check.registration(service, opts);
      open();
      const now = Date.now();
      const nodes = service.nodes.map((node) => {
        const one = copyService({ ...service, nodes: [node] });
        return { one, txt: nodeTxt(one, ttl, rid), instance: instanceName(service, node) };
      });
      const changes: [string, Entry][] = [];
      for (const { one, txt, instance } of nodes) {
        const key = `${instance}.${typeName}`.toLowerCase();
        socket.publish(key, instance, portOf(one.nodes[0]?.address ?? ''), txt);
        const prev = entries.get(key);
        if (prev?.own && JSON.stringify(prev.service) === JSON.stringify(one))
          Object.assign(prev, { ttl, lastSeen: now });
        else changes.push([key, { service: one, ttl, lastSeen: now, own: true, queried: false }]);
      }
      if (changes.length > 0) apply(changes);
    },
    async deregister(service: Service) {
      check.deregistration(service);
      const changes: [string, undefined][] = [];
      for (const node of service.nodes) {
        const key = `${instanceName(service, node)}.${typeName}`.toLowerCase();
        // Only the publishing process can withdraw a node; its peers wait for the goodbye.
        if (entries.get(key)?.own) changes.push([key, undefined]);
      }
      if (changes.length === 0) return;
      apply(changes);
      await Promise.all(changes.map(([key]) => socket.unpublish(key)));
    },
    async getService(name: string) {
      open();
      const deadline = Date.now() + timeout;
      if (versionsOf(name).length === 0) browse();
      while (versionsOf(name).length === 0 && Date.now() < deadline) await sleep(10);
      const found = versionsOf(name);
      if (found.length > 0) return found;
      const hint = socket.lastError ? ` (last network error: ${socket.lastError})` : '';
      throw new RegistryError(
        RegistryErrors.notFound,
        `service ${name} not found via mDNS on ${iface} after ${timeout} ms${hint}; multicast may be blocked by a firewall, container or VPN; try the default registry`,
      );
    },
    async listServices() {
      open();
      // A new registry learns existing nodes from the answers to its first query.
      await sleep(Math.max(0, startedAt + timeout - Date.now()));
      return versionsOf();
    },
    watch: (wopts: WatchOptions = {}): Watcher => watchers.watch(wopts),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      watchers.close();
      await socket.destroy();
    },
  };
}

import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import Bonjour from 'bonjour-service';
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
import { recordCheck, type RecordCheck } from './validate.ts';

/** Options of the multicast DNS registry. */
export interface MdnsRegistryOptions extends RegistryOptions {
  /** IPv4 address of the interface to multicast on; the default keeps discovery on this host. */
  interface?: string;
  /** DNS-SD service type every node is published under (`_micro._tcp.local`). */
  domain?: string;
  /** How often leases are checked, in milliseconds. */
  sweepInterval?: number;
}

type BonjourService = Bonjour.Service;
type DnsRecord = ReturnType<BonjourService['records']>[number];
type Callback = (err?: Error | null) => void;

type Answer = { name: string; type: string; ttl: number; data: unknown };
type Packet = { answers: Answer[]; additionals?: Answer[] };

interface Mdns {
  on(event: 'response', listener: (packet: Packet) => void): void;
  on(event: 'error' | 'warning', listener: Callback): void;
  query(questions: { name: string; type: string }[], cb: Callback): void;
  respond(records: DnsRecord[], cb: Callback): void;
}

// bonjour-service keeps its socket private, but renewals, last-seen tracking and socket errors need it.
interface Responder {
  mdns: Mdns;
  register(records: DnsRecord[]): void;
  unregister(records: DnsRecord[]): void;
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

const TXT_STRING_MAX = 255;
// One UDP datagram carries an announcement; leave room for the other records and headers.
const TXT_TOTAL_MAX = 60_000;
// Binding to the interface address alone receives nothing; multicast arrives on the wildcard socket.
const BIND = '0.0.0.0';

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
  const published = new Map<string, BonjourService>();
  const watchers = new WatcherSet();
  let lastError: string | undefined;
  let closed = false;
  const note: Callback = (err) => {
    if (err) lastError = `${(err as Error & { code?: string }).code ?? err.name}: ${err.message}`;
  };

  const mdnsOptions: Record<string, unknown> = { interface: iface, bind: BIND };
  const bonjour = new Bonjour(mdnsOptions, note);
  const responder = (bonjour as unknown as { server: Responder }).server;
  const mdns = responder.mdns;
  mdns.on('error', note);
  mdns.on('warning', note);
  mdns.on('response', (packet) => {
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
  const browse = (): void => mdns.query([{ name: typeName, type: 'PTR' }], note);
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

  /** Publishes or renews one node; a renewal re-announces so peers refresh their last-seen time. */
  const publish = (key: string, name: string, port: number, txt: Record<string, string>): void => {
    const current = published.get(key);
    if (!current) {
      published.set(key, bonjour.publish({ name, type: domain, port, txt, probe: false }));
      return;
    }
    if (JSON.stringify(current.txt) !== JSON.stringify(txt)) {
      // The responder keeps the old TXT record by name; replace it so queries get the new one.
      responder.unregister(current.records().filter((r) => r.type === 'TXT'));
      current.txt = txt;
      responder.register(current.records());
    }
    mdns.respond(current.records(), note);
  };

  /** Withdraws one node with a goodbye (records with TTL 0). */
  const unpublish = async (key: string): Promise<void> => {
    const service = published.get(key);
    if (!service) return;
    published.delete(key);
    const stop = service.stop as (cb: () => void) => void;
    const sent = new Promise<void>((resolve) => stop(() => resolve()));
    // bonjour drops every record sharing a name (the type's PTR) on stop; put the others back.
    for (const other of published.values()) responder.register(other.records());
    await sent;
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
        if (e.own) void unpublish(key);
      } else if (!e.own && !e.queried && age >= e.ttl * 0.6) {
        // A lost announcement should not expire a live node: ask its publisher before the lease runs out.
        e.queried = true;
        ask.push(key);
      }
    }
    if (expired.length > 0) apply(expired);
    if (ask.length > 0) mdns.query(ask.map(txtQuestion), note);
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
        const txt = encodeTxt(one, ttl, rid);
        let size = 0;
        for (const [k, v] of Object.entries(txt)) size += Buffer.byteLength(`${k}=${v}`) + 1;
        if (size > TXT_TOTAL_MAX) {
          throw new RegistryError(
            RegistryErrors.invalid,
            `service ${service.name} node ${node.id} needs ${size} bytes of mDNS TXT (limit ${TXT_TOTAL_MAX}); shorten its endpoint schemas or use another registry`,
          );
        }
        return { one, txt, instance: instanceName(service, node) };
      });
      const changes: [string, Entry][] = [];
      for (const { one, txt, instance } of nodes) {
        const key = `${instance}.${typeName}`.toLowerCase();
        publish(key, instance, portOf(one.nodes[0]?.address ?? ''), txt);
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
      await Promise.all(changes.map(([key]) => unpublish(key)));
    },
    async getService(name: string) {
      open();
      const deadline = Date.now() + timeout;
      if (versionsOf(name).length === 0) browse();
      while (versionsOf(name).length === 0 && Date.now() < deadline) await sleep(10);
      const found = versionsOf(name);
      if (found.length > 0) return found;
      const hint = lastError ? ` (last network error: ${lastError})` : '';
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
      await new Promise<void>((resolve) => bonjour.destroy(() => resolve()));
    },
  };
}

/** A DNS label unique to the node: readable prefix, hashed identity (labels stop at 63 bytes). */
function instanceName(service: Service, node: Node): string {
  const id = `${service.name}\n${service.version}\n${node.id}`;
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 16);
  return `${service.name.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 40)}-${hash}`;
}

/** The SRV port; informational only, since the node address travels in TXT. */
function portOf(address: string): number {
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : 9;
}

/** TXT strings for one node; a value too long for one 255-byte string goes in `key.0`, `key.1`, ... */
function encodeTxt(s: Service, ttl: number, rid: string): Record<string, string> {
  const node = s.nodes[0];
  if (!node) throw new TypeError('one node per TXT record');
  const fields: [string, string][] = [
    ['rid', rid],
    ['ttl', String(ttl)],
    ['name', s.name],
    ['version', s.version],
    ['id', node.id],
    ['address', node.address],
    ['metadata', JSON.stringify(s.metadata)],
    ['node', JSON.stringify(node.metadata)],
    ['endpoints', JSON.stringify(s.endpoints)],
  ];
  const txt: Record<string, string> = {};
  for (const [key, value] of fields) {
    if (Buffer.byteLength(`${key}=${value}`) <= TXT_STRING_MAX) txt[key] = value;
    else
      for (const [i, part] of chunk(value, TXT_STRING_MAX - key.length - 6).entries())
        txt[`${key}.${i}`] = part;
  }
  return txt;
}

/** Splits on character boundaries into parts of at most `max` UTF-8 bytes. */
function chunk(value: string, max: number): string[] {
  const parts: string[] = [];
  let part = '';
  let size = 0;
  for (const ch of value) {
    const n = Buffer.byteLength(ch);
    if (size + n > max) {
      parts.push(part);
      part = '';
      size = 0;
    }
    part += ch;
    size += n;
  }
  parts.push(part);
  return parts;
}

/**
 * Reads what encodeTxt wrote; anything malformed or foreign gives undefined, and so does a record
 * or lease that breaks the rules of records (with a warning).
 */
function decodeTxt(
  data: unknown,
  check: RecordCheck,
  from: string,
): { rid: string; ttl: number; service: Service } | undefined {
  if (!Array.isArray(data)) return undefined;
  const pairs = new Map<string, string>();
  for (const item of data as unknown[]) {
    const text = Buffer.isBuffer(item) ? item.toString('utf8') : '';
    const eq = text.indexOf('=');
    if (eq > 0) pairs.set(text.slice(0, eq), text.slice(eq + 1));
  }
  const field = (key: string): string => {
    const parts: string[] = [];
    while (pairs.has(`${key}.${parts.length}`))
      parts.push(pairs.get(`${key}.${parts.length}`) ?? '');
    const value = pairs.get(key) ?? (parts.length > 0 ? parts.join('') : undefined);
    if (value === undefined) throw new TypeError(`TXT has no ${key}`);
    return value;
  };
  const map = (v: unknown): Record<string, string> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError('not a map');
    if (!Object.values(v).every((x) => typeof x === 'string')) throw new TypeError('not strings');
    return v as Record<string, string>;
  };
  try {
    const json = (key: string): unknown => JSON.parse(field(key));
    const endpoints = json('endpoints') as Service['endpoints'];
    if (!Array.isArray(endpoints) || endpoints.some((e) => typeof e?.name !== 'string')) return;
    endpoints.forEach((e) => map(e.metadata));
    const node = { id: field('id'), address: field('address'), metadata: map(json('node')) };
    const [name, version, metadata] = [field('name'), field('version'), map(json('metadata'))];
    const service: Service = { name, version, metadata, endpoints, nodes: [node] };
    const rid = field('rid');
    const ttl = Number(field('ttl'));
    if (!check.accept(service, from)) return undefined;
    const lease = check.acceptTtl(ttl, from);
    return lease === undefined ? undefined : { rid, ttl: lease, service: copyService(service) };
  } catch {
    return undefined;
  }
}

/** A question asking a node's publisher for its TXT record. */
function txtQuestion(name: string): { name: string; type: string } {
  return { name, type: 'TXT' };
}

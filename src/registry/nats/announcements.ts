// What NATS registry instances announce to each other, and a watcher's leases on the nodes announced.
import type { Picture } from '../picture.ts';
import type { Service } from '../registry.ts';
import type { RecordCheck } from '../validate.ts';

/** What an instance publishes on `<prefix>.events` for each register (heartbeats too) and deregister. */
export interface Announcement {
  action: 'register' | 'deregister';
  /** The service version with only the nodes concerned. */
  service: Service;
  /** Lease of the registered nodes in milliseconds; absent: the default lease. */
  ttl?: number;
  /** A heartbeat: the nodes were registered as they are already, only their lease is renewed. */
  renew?: boolean;
}

/** A service version as a query answers it, with the milliseconds left on each leased node. */
export type Answer = Service & { leases?: Record<string, number> };

/** A map key naming one node of a service version. */
export const nodeKey = (name: string, version: string, id: string): string =>
  `${name}\n${version}\n${id}`;

/**
 * An announcement, or nothing when the message is not one (another program on the subject) or
 * carries a record or lease that breaks the rules (dropped with a warning).
 */
export function parseAnnouncement(
  text: string,
  check: RecordCheck,
  where: string,
): Announcement | undefined {
  let a: Announcement;
  try {
    a = JSON.parse(text) as Announcement;
  } catch {
    return undefined;
  }
  if (a?.action === 'deregister') {
    try {
      check.deregistration(a.service);
      return a;
    } catch (err) {
      check.drop(where, (err as Error).message);
      return undefined;
    }
  }
  if (a?.action !== 'register' || !check.accept(a.service, where)) return undefined;
  if (a.ttl === undefined) return a;
  const ttl = check.acceptTtl(a.ttl, where);
  return ttl === undefined ? undefined : { ...a, ttl };
}

/**
 * One watcher's leases on the nodes of its picture: a node is reported gone when its lease runs out
 * without being renewed.
 */
export class Leases {
  readonly #picture: Picture;
  readonly #expiries = new Map<string, NodeJS.Timeout>();
  readonly #limits: { defaultTtl: number; maxTtl: number };

  /** limits: how long a node announced without a lease is kept unrenewed, and the longest lease. */
  constructor(picture: Picture, limits: { defaultTtl: number; maxTtl: number }) {
    this.#picture = picture;
    this.#limits = limits;
  }

  /** Applies an announcement, reporting what it changed. */
  apply(a: Announcement): void {
    const { name, version, nodes } = a.service;
    if (a.action === 'deregister')
      return this.#remove(
        name,
        version,
        nodes.map((n) => n.id),
      );
    // A renewal of a node not known (its lease lapsed here, say) brings it back, reported.
    this.#picture.put(a.service);
    this.#arm(a.service, () => a.ttl ?? this.#limits.defaultTtl);
  }

  /** Takes in the nodes of a query answer that pass `keep`, unreported: what was there before. */
  learn(s: Answer, keep: (id: string) => boolean): void {
    const nodes = Array.isArray(s.nodes) ? s.nodes.filter((n) => keep(n.id)) : [];
    const left = (id: string): number => {
      const ms = s.leases?.[id];
      const { defaultTtl, maxTtl } = this.#limits;
      return typeof ms === 'number' && ms > 0 && ms <= maxTtl ? ms : defaultTtl;
    };
    this.#picture.put({ ...s, nodes }, false);
    this.#arm({ ...s, nodes }, left);
  }

  /** Stops every lease timer and forgets the picture. */
  clear(): void {
    for (const expiry of this.#expiries.values()) clearTimeout(expiry);
    this.#expiries.clear();
    this.#picture.clear();
  }

  #arm(s: Service, ttlOf: (id: string) => number): void {
    for (const { id } of s.nodes) {
      const key = nodeKey(s.name, s.version, id);
      clearTimeout(this.#expiries.get(key));
      const expiry = setTimeout(() => this.#remove(s.name, s.version, [id]), ttlOf(id));
      expiry.unref();
      this.#expiries.set(key, expiry);
    }
  }

  #remove(name: string, version: string, ids: string[]): void {
    for (const id of ids) {
      const key = nodeKey(name, version, id);
      clearTimeout(this.#expiries.get(key));
      this.#expiries.delete(key);
    }
    this.#picture.remove(name, version, ids);
  }
}

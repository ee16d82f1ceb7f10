// The explorer's picture of the registry: a summary per service name and the topics, kept by
// applying watch events one at a time, with the sorted list rebuilt only where names changed.
import { isTopic, summarizeTopics, type TopicSummary } from '../../registry/topics.ts';
import type { RegistryService, WatchEvent } from '../../runtime/index.ts';
import { compareNatural } from '../../registry/listing.ts';

/** One line of the services list: a service name with its versions and node count. */
export interface ServiceSummary {
  name: string;
  /** In natural order (1.9.0 before 1.10.0). */
  versions: string[];
  /** Nodes of every version together. */
  nodes: number;
  /** Endpoints of the version that has the most. */
  endpoints: number;
}

/** What one version counts for in its name's summary. */
interface Counts {
  nodes: number;
  endpoints: number;
}

/** The services list and the topics, as take() hands them out. */
export interface IndexLists {
  services: ServiceSummary[];
  topics: TopicSummary[];
}

/** True for a subscriber endpoint (src/runtime/server: metadata subscriber=true). */
const subscribes = (e: RegistryService['endpoints'][number]): boolean =>
  e.metadata?.subscriber === 'true';

/**
 * What summarizeTopics reads of a version: its subscribers and its nodes' queue groups. Versions
 * that have no part in a topic are not kept at all.
 */
function topicPart(s: RegistryService): RegistryService | undefined {
  const endpoints = s.endpoints
    .filter(subscribes)
    .map((e) => ({ name: e.name, metadata: { ...e.metadata } }));
  if (!isTopic(s.name) && endpoints.length === 0) return undefined;
  return {
    name: s.name,
    version: s.version,
    metadata: {},
    endpoints,
    nodes: s.nodes.map((n): RegistryService['nodes'][number] => {
      const queue = n.metadata?.queue;
      return { id: n.id, address: '', metadata: queue ? { queue } : {} };
    }),
  };
}

/** The first index in rows (sorted by name) whose name is not before name. */
function lowerBound(rows: ServiceSummary[], name: string): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareNatural(rows[mid]!.name, name) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const sameSummary = (a: ServiceSummary, b: ServiceSummary): boolean =>
  a.nodes === b.nodes &&
  a.endpoints === b.endpoints &&
  a.versions.length === b.versions.length &&
  a.versions.every((v, i) => v === b.versions[i]);

/**
 * Service versions by name, as counts only, and the few versions topics need. apply() takes
 * events in; take() hands out the sorted list, touching only the names changed since the last.
 */
export class ServiceIndex {
  readonly #versions = new Map<string, Map<string, Counts>>();
  /** Versions with a part in a topic, by name and version. */
  readonly #topical = new Map<string, RegistryService>();
  /** Names changed since the last take(). */
  readonly #dirty = new Set<string>();
  #topicsDirty = false;
  /** The next take() sorts every name afresh (after reset). */
  #rebuild = false;
  #rows: ServiceSummary[] = [];
  #topics: TopicSummary[] = [];

  /** Forgets every version: a full listing is about to be applied. */
  reset(): void {
    this.#versions.clear();
    this.#topical.clear();
    this.#dirty.clear();
    this.#rebuild = true;
    this.#topicsDirty = true;
  }

  /** Takes in one change; a listed version is a create. A version with no nodes left goes. */
  apply({ action, service: s }: WatchEvent): void {
    const key = `${s.name}\n${s.version}`;
    const gone = action === 'delete' || s.nodes.length === 0;
    const part = gone ? undefined : topicPart(s);
    if (part || this.#topical.has(key)) {
      if (part) this.#topical.set(key, part);
      else this.#topical.delete(key);
      this.#topicsDirty = true;
    }
    if (isTopic(s.name)) return;
    const versions = this.#versions.get(s.name);
    if (gone) {
      if (!versions?.delete(s.version)) return;
      if (versions.size === 0) this.#versions.delete(s.name);
    } else {
      const counts = { nodes: s.nodes.length, endpoints: s.endpoints.length };
      if (versions) versions.set(s.version, counts);
      else this.#versions.set(s.name, new Map([[s.version, counts]]));
    }
    this.#dirty.add(s.name);
  }

  /** True when something was applied that take() has not handed out yet. */
  get pending(): boolean {
    return this.#rebuild || this.#topicsDirty || this.#dirty.size > 0;
  }

  /** Every service by name in natural order, and the topics; the same arrays when nothing changed. */
  take(): IndexLists {
    if (this.#rebuild) {
      this.#rows = [...this.#versions.keys()]
        .sort(compareNatural)
        .map((name) => this.#summary(name)!);
    } else if (this.#dirty.size > 0) {
      let next: ServiceSummary[] | undefined;
      for (const name of this.#dirty) {
        const rows = next ?? this.#rows;
        const at = lowerBound(rows, name);
        const was = rows[at]?.name === name ? rows[at] : undefined;
        const now = this.#summary(name);
        if (was && now && sameSummary(was, now)) continue;
        if (!was && !now) continue;
        next ??= rows.slice();
        if (was && now) next[at] = now;
        else if (now) next.splice(at, 0, now);
        else next.splice(at, 1);
      }
      if (next) this.#rows = next;
    }
    if (this.#topicsDirty)
      this.#topics = summarizeTopics([...this.#topical.values()]).sort((a, b) =>
        compareNatural(a.topic, b.topic),
      );
    this.#rebuild = false;
    this.#topicsDirty = false;
    this.#dirty.clear();
    return { services: this.#rows, topics: this.#topics };
  }

  /** The line of one name, or undefined when it has no version left. */
  #summary(name: string): ServiceSummary | undefined {
    const versions = this.#versions.get(name);
    if (!versions) return undefined;
    let nodes = 0;
    let endpoints = 0;
    for (const c of versions.values()) {
      nodes += c.nodes;
      endpoints = Math.max(endpoints, c.endpoints);
    }
    return { name, versions: [...versions.keys()].sort(compareNatural), nodes, endpoints };
  }
}

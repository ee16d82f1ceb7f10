import { isTopic, summarizeTopics, topicOf, type TopicSummary } from '../../registry/topics.ts';
import { createBackoff } from '../../proxy/backoff.ts';
import type { Registry, RegistryService, Watcher } from '../../runtime/index.ts';
import { compareNatural } from '../../registry/listing.ts';
import { summarize, type ServiceSummary } from './summary.ts';

/** One change to the registry as the dashboard shows it. */
export interface FeedEvent {
  /** Increases by one per event. */
  id: number;
  /** Milliseconds since the epoch. */
  at: number;
  action: 'create' | 'update' | 'delete';
  /** The service version as it now is (for delete, as it was). */
  service: RegistryService;
  /** Set when the entry lists a topic's subscribers (the http broker's `topic:<name>`): the topic. */
  topic?: string;
}

/** Options of the feed. */
export interface FeedOptions {
  registry: Registry;
  /** How many recent events to keep for pages that open later (default 200). */
  keep?: number;
  /** Milliseconds between full re-reads, a safety net under the watch (default 30 s). */
  refresh?: number;
}

/** The registry as the dashboard sees it: every service version, kept current by a watch. */
export interface Feed {
  /** Every service version, in natural order of name and version; the topics' entries are not services. */
  services(): RegistryService[];
  /** One summary per service name, in natural order of name. */
  summaries(): ServiceSummary[];
  /** The summary of one service name; undefined when none is known (or it is a topic's entry). */
  summary(name: string): ServiceSummary | undefined;
  /** Every topic subscribed to, by name. */
  topics(): TopicSummary[];
  /** The versions of one service; undefined when none is known. */
  get(name: string): RegistryService[] | undefined;
  /** The latest events, oldest first. */
  recent(): FeedEvent[];
  /** Calls fn on every change from now on; returns the function that stops it. */
  subscribe(fn: (event: FeedEvent) => void): () => void;
  /** Resolves once the first read is done (or failed). */
  readonly ready: Promise<void>;
  close(): void;
}

const keyOf = (s: RegistryService): string => `${s.name}\u0000${s.version}`;

/**
 * Creates the feed: it watches, then reads the whole registry, and reads it again whenever the
 * watch breaks (a control plane restart) or the refresh interval passes. Changes are reported as
 * the difference from what it held, so a re-read or a lease renewal that changed nothing is silent.
 */
export function createFeed(options: FeedOptions): Feed {
  const { registry } = options;
  const keep = options.keep ?? 200;
  const state = new Map<string, RegistryService>();
  const byName = new Map<string, Map<string, RegistryService>>();
  const signatures = new Map<string, string>();
  // Kept per change, so the first message of each event stream costs no pass over every record.
  const summaries = new Map<string, ServiceSummary>();
  // The names in natural order, sorted again only after a name comes or goes.
  let sorted: string[] | undefined;
  const recent: FeedEvent[] = [];
  const listeners = new Set<(event: FeedEvent) => void>();
  let seq = 0;
  let closed = false;
  let watcher: Watcher | undefined;
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));

  const emit = (action: FeedEvent['action'], service: RegistryService): void => {
    const event: FeedEvent = isTopic(service.name)
      ? { id: ++seq, at: Date.now(), action, service, topic: topicOf(service.name) }
      : { id: ++seq, at: Date.now(), action, service };
    if (!isTopic(service.name)) {
      const versions = byName.get(service.name);
      if (!versions) sorted = summaries.delete(service.name) ? undefined : sorted;
      else {
        if (!summaries.has(service.name)) sorted = undefined;
        summaries.set(service.name, summarize(service.name, versions.values()));
      }
    }
    recent.push(event);
    if (recent.length > keep) recent.splice(0, recent.length - keep);
    for (const fn of listeners) fn(event);
  };

  const apply = (action: FeedEvent['action'], s: RegistryService): void => {
    const key = keyOf(s);
    const before = state.get(key);
    if (action === 'delete' || s.nodes.length === 0) {
      if (!before) return;
      state.delete(key);
      signatures.delete(key);
      const versions = byName.get(s.name);
      versions?.delete(s.version);
      if (versions?.size === 0) byName.delete(s.name);
      emit('delete', before);
      return;
    }
    const signature = JSON.stringify(s);
    if (signatures.get(key) === signature) return;
    state.set(key, s);
    signatures.set(key, signature);
    let versions = byName.get(s.name);
    if (!versions) byName.set(s.name, (versions = new Map<string, RegistryService>()));
    versions.set(s.version, s);
    emit(before ? 'update' : 'create', s);
  };

  const resync = (list: RegistryService[]): void => {
    const seen = new Set(list.map(keyOf));
    for (const [key, s] of [...state]) if (!seen.has(key)) apply('delete', s);
    for (const s of list) apply('update', s);
  };

  const follow = async (w: Watcher): Promise<void> => {
    try {
      for await (const e of w) apply(e.action, e.service);
    } catch {
      // the watch broke: read everything again below
    }
    if (watcher === w) backoff.schedule();
  };

  const open = async (): Promise<void> => {
    if (closed) return;
    watcher?.stop();
    const w = registry.watch();
    watcher = w;
    try {
      resync(await registry.listServices());
      backoff.reset();
    } catch {
      w.stop();
      markReady();
      backoff.schedule();
      return;
    }
    markReady();
    void follow(w);
  };

  const backoff = createBackoff(() => void open(), 5000);
  const refresh = setInterval(() => {
    registry.listServices().then(resync, () => undefined);
  }, options.refresh ?? 30_000);
  refresh.unref();
  void open();

  return {
    services: () =>
      [...state.values()]
        .filter((s) => !isTopic(s.name))
        .sort((a, b) => compareNatural(a.name, b.name) || compareNatural(a.version, b.version)),
    summaries: () =>
      (sorted ??= [...summaries.keys()].sort(compareNatural)).map((name) => summaries.get(name)!),
    summary: (name) => summaries.get(name),
    topics: () => summarizeTopics([...state.values()]),
    get(name) {
      const versions = byName.get(name);
      return versions ? [...versions.values()] : undefined;
    },
    recent: () => [...recent],
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    ready,
    close() {
      closed = true;
      clearInterval(refresh);
      backoff.stop();
      listeners.clear();
      const w = watcher;
      watcher = undefined;
      w?.stop();
      markReady();
    },
  };
}

// The services list and the topics kept current by one registry watch: read in full once (and again
// only after the watch broke), then each change applied as it comes, handed out in batches.
import type { TopicSummary } from '../../registry/topics.ts';
import type { Registry, WatchEvent } from '../../runtime/index.ts';
import { ServiceIndex, type ServiceSummary } from './service-index.ts';
import type { Watched } from './watched.ts';

/** What a LiveRegistry shows at one moment; a new object only when something in it changed. */
export interface LiveSnapshot {
  services: Watched<ServiceSummary[]>;
  topics: Watched<TopicSummary[]>;
}

/** The registry's services and topics, followed; subscribe and snapshot suit useSyncExternalStore. */
export interface LiveRegistry {
  /** Starts following: a watch, then a full read; again after stop(). */
  start(): void;
  /** Stops the watch and every timer. */
  stop(): void;
  /** Calls listener after each batch of changes (and each failed read); returns its removal. */
  subscribe(listener: () => void): () => void;
  /** What to show now. */
  snapshot(): LiveSnapshot;
}

/**
 * What the list screens read: a LiveRegistry, or anything else with its subscribe and snapshot.
 * The screens subscribe themselves, so that a batch re-renders the list alone.
 */
export type LiveSource = Pick<LiveRegistry, 'subscribe' | 'snapshot'>;

/** Options of createLiveRegistry. */
export interface LiveRegistryOptions {
  /** Changes are handed out at most this often, in milliseconds: one batch however many came. */
  batchMs?: number;
  /** Milliseconds before watching and reading again once the watch broke or a read failed. */
  retryMs?: number;
}

/** Follows registry: watch first, then read, so that no change falls between the two. */
export function createLiveRegistry(
  registry: Registry,
  options: LiveRegistryOptions = {},
): LiveRegistry {
  const batchMs = options.batchMs ?? 100;
  const retryMs = options.retryMs ?? 2000;
  const index = new ServiceIndex();
  const listeners = new Set<() => void>();
  let shown: LiveSnapshot = { services: { loading: true }, topics: { loading: true } };
  let status: Omit<Watched<unknown>, 'value'> = { loading: true };
  let running = false;
  /** Counts the follows: what an older one reports late is dropped. */
  let generation = 0;
  let watcher: ReturnType<Registry['watch']> | undefined;
  let batch: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;

  const publish = (): void => {
    clearTimeout(batch);
    batch = undefined;
    const { services, topics } = index.take();
    const was = shown;
    const same = (w: Watched<unknown[]>, value: unknown[]): boolean =>
      w.value === value && w.loading === status.loading && w.error === status.error;
    if (same(was.services, services) && same(was.topics, topics)) return;
    shown = {
      services: same(was.services, services) ? was.services : { ...status, value: services },
      topics: same(was.topics, topics) ? was.topics : { ...status, value: topics },
    };
    for (const listener of [...listeners]) listener();
  };
  const changed = (): void => {
    batch ??= setTimeout(publish, batchMs);
  };

  const follow = (): void => {
    const run = ++generation;
    const current = (): boolean => running && run === generation;
    let over = false;
    const w = registry.watch({});
    watcher = w;
    // The changes since the oldest read under way was asked for: each read's answer is applied
    // with the changes that came after it was asked for, whichever answers first.
    let log: WatchEvent[] | undefined;
    let reads = 0;
    const again = (): void => {
      if (over) return;
      over = true;
      w.stop();
      if (current()) retry = setTimeout(follow, retryMs);
    };
    const read = (): void => {
      log ??= [];
      const from = log.length;
      reads++;
      registry.listServices().then(
        (list) => {
          reads--;
          if (!current()) return;
          index.reset();
          for (const service of list) index.apply({ action: 'create', service });
          for (const event of log?.slice(from) ?? []) index.apply(event);
          if (reads === 0) log = undefined;
          status = { loading: false };
          publish();
        },
        (err: unknown) => {
          reads--;
          if (!current()) return;
          status = { loading: false, error: (err as Error)?.message || String(err) };
          publish();
          again();
        },
      );
    };
    void (async () => {
      try {
        for await (const event of w) {
          if (!current()) break;
          log?.push(event);
          // Before the first read answers there is nothing to apply a change to.
          if (!status.loading) {
            index.apply(event);
            changed();
          }
        }
      } catch {
        // the watch broke: watch and read again below
      }
      again();
    })();
    read();
  };

  return {
    start() {
      if (running) return;
      running = true;
      follow();
    },
    stop() {
      running = false;
      generation++;
      clearTimeout(batch);
      clearTimeout(retry);
      batch = retry = undefined;
      watcher?.stop();
      watcher = undefined;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    snapshot: () => shown,
  };
}

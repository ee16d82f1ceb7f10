// Registry reads kept current by a watch: the services list, the topics and one service's versions.
import { useEffect, useMemo, useState } from 'react';
import { isTopic, summarizeTopics, type TopicSummary } from '../../registry/topics.ts';
import type { Registry, RegistryService } from '../../runtime/index.ts';

type WatchOptions = Parameters<Registry['watch']>[0];

/** A value read from the registry, re-read whenever a watch reports a change. */
export interface Watched<T> {
  value?: T;
  /** Why the last read failed; cleared by the next read that succeeds. */
  error?: string;
  loading: boolean;
}

/** What a list read from the registry shows instead of rows: loading, unreachable, or `empty` when it holds none. */
export function listStatus(list: Watched<unknown[]>, empty: string): string | undefined {
  if (list.loading) return 'loading…';
  if ((list.value ?? []).length > 0) return undefined;
  return list.error ? 'the registry cannot be reached; retrying' : empty;
}

/** Milliseconds between attempts to watch again after the registry went away. */
const RETRY_MS = 2000;
/** Changes arriving within this many milliseconds are read once. */
const SETTLE_MS = 50;

/**
 * Reads with load, then again after each change the watch reports (and after reconnecting).
 * A read already under way (started before the first render) is shown until load answers.
 */
export function useWatched<T>(
  registry: Registry,
  load: () => Promise<T>,
  watch: WatchOptions,
  deps: readonly unknown[],
  early?: Promise<T>,
): Watched<T> {
  const [state, setState] = useState<Watched<T>>({ loading: true });
  useEffect(() => {
    let stopped = false;
    let pending: NodeJS.Timeout | undefined;
    let retry: NodeJS.Timeout | undefined;
    let watcher: ReturnType<Registry['watch']> | undefined;
    let loaded = false;
    early?.then(
      (value) => {
        if (!stopped && !loaded) setState({ value, loading: false });
      },
      () => undefined,
    );
    const read = async (): Promise<void> => {
      try {
        const value = await load();
        loaded = true;
        if (!stopped) setState({ value, loading: false });
      } catch (err) {
        if (!stopped)
          setState((s) => ({ ...s, loading: false, error: (err as Error).message || String(err) }));
      }
    };
    const changed = (): void => {
      pending ??= setTimeout(() => {
        pending = undefined;
        void read();
      }, SETTLE_MS);
    };
    const follow = async (): Promise<void> => {
      if (stopped) return;
      // Watch first, then read: no change falls between the two.
      watcher = registry.watch(watch);
      void read();
      try {
        for await (const _event of watcher) changed();
      } catch {
        // the watch broke: try again below
      }
      if (!stopped) retry = setTimeout(() => void follow(), RETRY_MS);
    };
    void follow();
    return () => {
      stopped = true;
      clearTimeout(pending);
      clearTimeout(retry);
      watcher?.stop();
    };
    // The caller names what load depends on.
  }, [registry, ...deps]);
  return state;
}

/** One line of the services list: a service name with its versions and node count. */
export interface ServiceSummary {
  name: string;
  versions: string[];
  nodes: number;
  endpoints: number;
}

/** Groups service versions by name, sorted by name; the topics' entries are not services. */
export function summarize(services: RegistryService[]): ServiceSummary[] {
  const byName = new Map<string, ServiceSummary>();
  for (const s of services) {
    if (isTopic(s.name)) continue;
    const row = byName.get(s.name) ?? { name: s.name, versions: [], nodes: 0, endpoints: 0 };
    if (!row.versions.includes(s.version)) row.versions.push(s.version);
    row.nodes += s.nodes.length;
    row.endpoints = Math.max(row.endpoints, s.endpoints.length);
    byName.set(s.name, row);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Every service in the registry, summarized, updated live; early is a listing already asked for. */
export function useServices(
  registry: Registry,
  early?: Promise<RegistryService[]>,
): Watched<ServiceSummary[]> {
  // One derived promise for all renders; its failure is shown by the reads that follow.
  const summarized = useMemo(() => {
    const p = early?.then(summarize);
    p?.catch(() => undefined);
    return p;
  }, [early]);
  return useWatched(
    registry,
    async () => summarize(await registry.listServices()),
    {},
    [],
    summarized,
  );
}

/** Every topic subscribed to, updated live. */
export function useTopics(registry: Registry): Watched<TopicSummary[]> {
  return useWatched(registry, async () => summarizeTopics(await registry.listServices()), {}, []);
}

/** Every version of one service, updated live. */
export function useService(registry: Registry, name: string): Watched<RegistryService[]> {
  return useWatched(
    registry,
    async () =>
      (await registry.getService(name)).sort((a, b) => a.version.localeCompare(b.version)),
    { service: name },
    [name],
  );
}

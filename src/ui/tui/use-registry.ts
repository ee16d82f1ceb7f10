// Registry reads kept current by a watch, as hooks: the services list and the topics (from a
// LiveRegistry), and one service's versions.
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { Registry, RegistryService } from '../../runtime/index.ts';
import type { LiveSnapshot, LiveSource } from './live-registry.ts';
import { compareNatural } from '../../registry/listing.ts';
import type { Watched } from './watched.ts';

type WatchOptions = Parameters<Registry['watch']>[0];

/** Milliseconds between attempts to watch again after the registry went away. */
const RETRY_MS = 2000;
/** Changes arriving within this many milliseconds are read once. */
const SETTLE_MS = 50;

/** Reads with load, then again after each burst of changes the watch reports (and after reconnecting). */
export function useWatched<T>(
  registry: Registry,
  load: () => Promise<T>,
  watch: WatchOptions,
  deps: readonly unknown[],
): Watched<T> {
  const [state, setState] = useState<Watched<T>>({ loading: true });
  useEffect(() => {
    let stopped = false;
    let pending: NodeJS.Timeout | undefined;
    let retry: NodeJS.Timeout | undefined;
    let watcher: ReturnType<Registry['watch']> | undefined;
    const read = async (): Promise<void> => {
      try {
        const value = await load();
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

/** What live shows now, re-rendering after each batch of changes it hands out. */
export function useLive(live: LiveSource): LiveSnapshot {
  return useSyncExternalStore(live.subscribe, live.snapshot);
}

/** Every version of one service, updated live. */
export function useService(registry: Registry, name: string): Watched<RegistryService[]> {
  return useWatched(
    registry,
    async () =>
      (await registry.getService(name)).sort((a, b) => compareNatural(a.version, b.version)),
    { service: name },
    [name],
  );
}

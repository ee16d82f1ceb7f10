// A value read from a platform service (store, config, sync) and read again every few seconds
// while it is shown, so the explorer's platform views stay current without a watch.
import { useCallback, useEffect, useState } from 'react';
import { toMicroError } from '../../runtime/index.ts';
import type { Watched } from './watched.ts';

/** Milliseconds between reads of a shown view. */
export const REREAD_MS = 2000;

/** The value with how its last read went, and a way to read it again at once. */
export type Read<T> = Watched<T> & { reload: () => void };

/**
 * Reads with load now, whenever deps change, and every `every` ms; the last good value stays
 * shown when a read fails, beside the error.
 */
export function useRead<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
  every = REREAD_MS,
): Read<T> {
  const [state, setState] = useState<Watched<T>>({ loading: true });
  const [turn, setTurn] = useState(0);
  useEffect(() => {
    let stopped = false;
    setState((s) => ({ ...s, loading: s.value === undefined }));
    const read = async (): Promise<void> => {
      try {
        const value = await load();
        if (!stopped) setState({ value, loading: false });
      } catch (err) {
        const e = toMicroError(err, 'micro.explore');
        if (!stopped) setState((s) => ({ ...s, loading: false, error: `${e.code} ${e.detail}` }));
      }
    };
    void read();
    const timer = setInterval(() => void read(), every);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
    // The caller names what load depends on.
  }, [...deps, turn, every]);
  const reload = useCallback(() => setTurn((t) => t + 1), []);
  return { ...state, reload };
}

// The platform's events followed while a view is shown: the latest of each micro.* topic, then
// every new one, the newest KEPT kept. Deliveries are gathered and drawn at most once per DRAW_MS,
// so a burst of events never holds up the keys; a follow that fails or ends is retried after
// RETRY_MS, the error shown meanwhile.
import { useEffect, useState } from 'react';
import type { Events } from '../../platform/events/events.ts';
import { toMicroError } from '../../runtime/index.ts';
import {
  followPlatform,
  platformLine,
  type Follower,
  type PlatformLine,
} from '../platform-events.ts';

/** Events kept and shown at most. */
export const KEPT = 500;
/** Milliseconds between draws of new events, and before a failed follow is tried again. */
const DRAW_MS = 100;
const RETRY_MS = 2000;

/** An event as the view shows it, with the lower-cased text a filter searches. */
export type ShownLine = PlatformLine & { search: string };

/** What the view draws: the newest first; why following failed, while it does. */
export interface PlatformEvents {
  lines: ShownLine[];
  error?: string;
  loading: boolean;
}

const searchOf = (data: unknown): string =>
  typeof data === 'object' && data !== null
    ? Object.values(data)
        .filter((v) => typeof v === 'string' || typeof v === 'number')
        .join(' ')
        .toLowerCase()
    : '';

/** Follows the platform topics of events (or the topics given) while mounted. */
export function usePlatformEvents(
  events: Events | undefined,
  topics?: readonly string[],
): PlatformEvents {
  const following = topics?.join(' ');
  const [state, setState] = useState<PlatformEvents>({ lines: [], loading: true });
  useEffect(() => {
    if (!events) return;
    let stopped = false;
    let follower: Follower | undefined;
    let kept: ShownLine[] = [];
    const seen = new Set<string>();
    let draw: NodeJS.Timeout | undefined;
    let retry: NodeJS.Timeout | undefined;
    const fail = (err: unknown): void => {
      if (stopped) return;
      const e = toMicroError(err ?? new Error('the events stream ended'), 'micro.explore');
      setState((s) => ({ ...s, loading: false, error: `${e.code} ${e.detail}` }));
      retry = setTimeout(() => void start(), RETRY_MS);
    };
    const start = async (): Promise<void> => {
      try {
        const f = await followPlatform(events, {
          ...(topics && { topics }),
          onEvents: (records) => {
            for (const r of records) {
              const id = `${r.topic} ${r.offset}`;
              if (seen.has(id)) continue;
              seen.add(id);
              kept.push({ ...platformLine(r), search: searchOf(r.data) });
            }
            draw ??= setTimeout(() => {
              draw = undefined;
              kept.sort((a, b) => b.time - a.time || b.offset - a.offset);
              for (const gone of kept.splice(KEPT)) seen.delete(`${gone.topic} ${gone.offset}`);
              kept = [...kept];
              if (!stopped) setState({ lines: kept, loading: false });
            }, DRAW_MS);
          },
          onEnd: fail,
        });
        if (stopped) return void (await f.stop());
        follower = f;
        setState((s) => ({ lines: s.lines, loading: false }));
      } catch (err) {
        fail(err);
      }
    };
    void start();
    return () => {
      stopped = true;
      clearTimeout(draw);
      clearTimeout(retry);
      void follower?.stop();
    };
    // The topics' names, not the array: a caller may build it each render.
  }, [events, following]);
  return events ? state : { lines: [], loading: false, error: 'no events area' };
}

// The trace of the last call made from the call screen: by the trace id of the response's
// `traceparent` metadata when the service sent one, else the newest trace of that service and
// endpoint that started after the call was sent (Trace.List {service, endpoint, since, limit: 1}).
// Spans reach the trace service in batches (every few seconds), so it asks again every `interval`
// ms, at most `tries` times, and once found reads the trace a few more times to pick up spans
// that arrive later. Nothing is asked without a Trace (the explorer started with tracing off).
import { useEffect, useState } from 'react';
import type { Trace, TraceDetail } from '../../platform/trace/trace.ts';
import { toMicroError } from '../../runtime/errors.ts';

/** What the call screen shows of the last call's trace. */
export interface LastTrace {
  /** none before a call; waiting while it is looked for; shown; missing when none came. */
  phase: 'none' | 'waiting' | 'shown' | 'missing';
  detail?: TraceDetail;
  /** Why it is missing. */
  note?: string;
}

/** The call a trace is looked for: when it was sent, and the trace id its response named. */
export interface SentCall {
  /** ms since the epoch; undefined before the first call ends. */
  sentAt?: number;
  traceId?: string;
}

/** The trace id in a W3C `traceparent` (00-<32 hex>-<16 hex>-<2 hex>), if it is one. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent ?? '');
  return m?.[1];
}

/** Options of the look-up: ms between asks, how many asks to find it, how many more once found. */
export interface LookOptions {
  interval?: number;
  tries?: number;
  more?: number;
}

/** Looks up the trace of each call as it ends (sentAt changes). */
export function useLastTrace(
  trace: Trace | undefined,
  service: string,
  endpoint: string,
  call: SentCall,
  o: LookOptions = {},
): LastTrace {
  const [state, setState] = useState<LastTrace>({ phase: 'none' });
  const { sentAt, traceId } = call;
  const interval = o.interval ?? 1000;
  const tries = o.tries ?? 15;
  const more = o.more ?? 3;
  useEffect(() => {
    if (!trace || sentAt === undefined) return;
    let alive = true;
    let timer: NodeJS.Timeout | undefined;
    const wait = () =>
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, interval);
        timer.unref?.();
      });
    setState({ phase: 'waiting' });
    void (async () => {
      let found: string | undefined = traceId;
      let shown = 0;
      let note = 'no trace of this call was kept (is tracing on for the service?)';
      for (let i = 0; alive && i < tries + more; i++) {
        try {
          if (!found) {
            // A little slack: the server's clock is the one that stamped the span.
            // Started once the call was sent: an earlier call's trace is not this one.
            const [t] = await trace.list({ service, endpoint, since: sentAt, limit: 1 });
            found = t?.traceId;
          }
          if (found) {
            const detail = await trace.get(found);
            if (!alive) return;
            setState({ phase: 'shown', detail });
            if (++shown > more) return;
          } else if (i >= tries) break;
        } catch (err) {
          const e = toMicroError(err, 'micro.cli');
          // Not kept yet: ask again; anything else (no trace service) ends the look.
          if (e.code !== 404) {
            note = `no trace shown: ${e.code} ${e.detail}`;
            break;
          }
        }
        await wait();
      }
      if (alive && shown === 0) setState({ phase: 'missing', note });
    })();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [trace, service, endpoint, sentAt, traceId, interval, tries, more]);
  return state;
}

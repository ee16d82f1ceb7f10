// The server's one hook for watching requests: the runtime knows no spans, metrics or logs (the
// platform's tracing and metrics, src/platform/trace and src/platform/metrics, fill the hook), only
// that an observer, when given, is shown every call, stream and delivered event as it arrives,
// runs the rest of its serving (guard, decoding, handler) inside `run`, and is told once how it
// ended. With no observer nothing is made and a call pays nothing.
import type { MicroError } from '../errors.ts';
import type { Metadata } from '../metadata.ts';

/** What an observer is shown of one request as it arrives, before anything of it is decoded. */
export interface ObservedRequest {
  /** This service's name. */
  readonly service: string;
  /** `Handler.Method`, or the topic of a delivered event. */
  readonly endpoint: string;
  /** A unary call, a stream being opened, or an event delivered to a subscriber. */
  readonly kind: 'call' | 'stream' | 'event';
  /** The request's metadata (`traceparent`, `tracestate` carry the caller's trace). */
  readonly metadata: Metadata;
  /** `host:port` of the peer (empty for an event). */
  readonly remote: string;
}

/** One request being watched. */
export interface Observation {
  /**
   * Runs fn (the guard, the decoding and the handler) inside the observation, e.g. with its span
   * the active OpenTelemetry context, and returns what fn returns.
   */
  run<T>(fn: () => T): T;
  /**
   * Told once, when the request is answered or fails: error is the MicroError it failed with
   * (undefined on success); cancelled when the caller left before its end.
   */
  end(error: MicroError | undefined, cancelled: boolean): void;
}

/** Watches each request (undefined: not this one). Must not throw; must be cheap. */
export type Observer = (request: ObservedRequest) => Observation | undefined;

/** One observer made of several, run in order (the first listed outermost); undefined for none. */
export function composeObservers(
  observers: readonly (Observer | undefined)[],
): Observer | undefined {
  const list = observers.filter((o): o is Observer => o !== undefined);
  if (list.length <= 1) return list[0];
  return (request) => {
    const seen: Observation[] = [];
    for (const o of list) {
      const x = o(request);
      if (x) seen.push(x);
    }
    if (seen.length === 0) return undefined;
    if (seen.length === 1) return seen[0];
    return {
      run: <T>(fn: () => T): T => seen.reduceRight<() => T>((inner, x) => () => x.run(inner), fn)(),
      end: (error, cancelled) => {
        for (const x of seen) x.end(error, cancelled);
      },
    };
  };
}

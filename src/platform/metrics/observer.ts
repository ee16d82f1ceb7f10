// A service's request counts, kept by an Observer (src/runtime/server/observe.ts) in plain maps:
// per endpoint and kind, requests by code, a latency histogram (LATENCY_BUCKETS), in flight; open
// streams; broker messages published and delivered. Counting costs a map lookup and a few
// additions per request; the figures become Prometheus series (registry.ts) or NodeMetrics
// (debug.ts) only when read. Limits: endpoint labels are only names the service serves (`served`),
// others count under `other`; Debug.* (the platform's probes and scrapes) is not counted; at most
// MAX_ENDPOINTS series per kind, past which new names count under `other` too.
import type { MicroError } from '../../runtime/errors.ts';
import type { Observation, ObservedRequest, Observer } from '../../runtime/server/observe.ts';
import { LATENCY_BUCKETS, type EndpointCounts } from './metrics.ts';

/** The kinds of request an observer is shown. */
export type RequestKind = ObservedRequest['kind'];

/** The code counted for a request its caller left with no error given (nginx's "client closed"). */
export const CANCELLED_CODE = 499;

/** Endpoints counted per kind before new names are counted under `other`. */
export const MAX_ENDPOINTS = 1000;

/** The endpoint label of requests for names the service does not serve. */
export const OTHER_ENDPOINT = 'other';

/** One endpoint's running counts (a kind each). */
export interface EndpointTally {
  readonly endpoint: string;
  readonly kind: RequestKind;
  /** Requests answered, by code (200 or the MicroError's code). */
  readonly codes: Map<number, number>;
  calls: number;
  errors: number;
  cancelled: number;
  inflight: number;
  /** Per bucket of LATENCY_BUCKETS, then one over the last; not cumulative. */
  readonly buckets: Float64Array;
  /** Seconds spent, summed. */
  sum: number;
}

/** What a service counts, and the Observer that counts it. */
export interface RequestCounts {
  /** The service's name. */
  readonly service: string;
  /** The Observer to give the server (ServiceOptions.observe). */
  readonly observe: Observer;
  /** Every endpoint counted so far, calls then streams then events. */
  tallies(): EndpointTally[];
  /** Streams open now. */
  readonly streams: number;
  /** Messages published by the service's client. */
  readonly published: number;
  /** Messages delivered to its subscribers. */
  readonly delivered: number;
  /** Counts n messages published. */
  publish(n?: number): void;
}

/** Options of metricsObserver. */
export interface MetricsObserverOptions {
  /** The service's name. */
  service: string;
  /**
   * True when the service serves this endpoint or subscribes to this topic; asked once per new
   * name, so that names a caller makes up never become labels (default: every name).
   */
  served?: (endpoint: string, kind: RequestKind) => boolean;
}

const BOUNDS = Float64Array.from(LATENCY_BUCKETS);

/** The index of the bucket of `seconds` (BOUNDS.length: over the last bound). */
function bucketOf(seconds: number): number {
  let i = 0;
  while (i < BOUNDS.length && seconds > BOUNDS[i]!) i++;
  return i;
}

/** One request being counted: a class, so that each costs one small object and no closures. */
class Counting implements Observation {
  readonly #tally: EndpointTally;
  readonly #state: State;
  readonly #start = performance.now();
  #ended = false;

  constructor(tally: EndpointTally, state: State) {
    this.#tally = tally;
    this.#state = state;
  }

  run<T>(fn: () => T): T {
    return fn();
  }

  end(error: MicroError | undefined, cancelled: boolean): void {
    if (this.#ended) return;
    this.#ended = true;
    const t = this.#tally;
    const seconds = (performance.now() - this.#start) / 1000;
    t.inflight--;
    if (t.kind === 'stream') this.#state.streams--;
    const code = error ? error.code : cancelled ? CANCELLED_CODE : 200;
    t.codes.set(code, (t.codes.get(code) ?? 0) + 1);
    t.calls++;
    if (cancelled) t.cancelled++;
    else if (error) t.errors++;
    const b = bucketOf(seconds);
    t.buckets[b] = t.buckets[b]! + 1;
    t.sum += seconds;
  }
}

interface State {
  streams: number;
  published: number;
  delivered: number;
}

/** Counts a service's requests: give `observe` to the server, read the figures on scrape. */
export function metricsObserver(options: MetricsObserverOptions): RequestCounts {
  const served = options.served ?? (() => true);
  const kinds: Record<RequestKind, Map<string, EndpointTally>> = {
    call: new Map(),
    stream: new Map(),
    event: new Map(),
  };
  // Names found not served, so a caller repeating one costs a lookup (bounded: cleared when full).
  const refused = new Set<string>();
  const state: State = { streams: 0, published: 0, delivered: 0 };
  const make = (endpoint: string, kind: RequestKind): EndpointTally => ({
    endpoint,
    kind,
    codes: new Map(),
    calls: 0,
    errors: 0,
    cancelled: 0,
    inflight: 0,
    buckets: new Float64Array(BOUNDS.length + 1),
    sum: 0,
  });
  const tallyOf = (endpoint: string, kind: RequestKind): EndpointTally => {
    const map = kinds[kind];
    let t = map.get(endpoint);
    if (t) return t;
    const known = !refused.has(endpoint) && map.size < MAX_ENDPOINTS && served(endpoint, kind);
    if (!known) {
      if (refused.size >= MAX_ENDPOINTS) refused.clear();
      refused.add(endpoint);
      t = map.get(OTHER_ENDPOINT);
      if (t) return t;
      endpoint = OTHER_ENDPOINT;
    }
    t = make(endpoint, kind);
    map.set(endpoint, t);
    return t;
  };
  const observe: Observer = (request) => {
    if (request.endpoint.startsWith('Debug.')) return undefined;
    const tally = tallyOf(request.endpoint, request.kind);
    tally.inflight++;
    if (request.kind === 'stream') state.streams++;
    else if (request.kind === 'event') state.delivered++;
    return new Counting(tally, state);
  };
  return {
    service: options.service,
    observe,
    tallies: () => [...kinds.call.values(), ...kinds.stream.values(), ...kinds.event.values()],
    get streams() {
      return state.streams;
    },
    get published() {
      return state.published;
    },
    get delivered() {
      return state.delivered;
    },
    publish(n = 1) {
      state.published += n;
    },
  };
}

/** A tally as Debug.Metrics answers it: cumulative buckets, +Inf last (= calls). */
export function endpointCounts(t: EndpointTally): EndpointCounts {
  const buckets: number[] = [];
  let sum = 0;
  for (const n of t.buckets) buckets.push((sum += n));
  return {
    endpoint: t.endpoint,
    kind: t.kind,
    calls: t.calls,
    errors: t.errors,
    cancelled: t.cancelled,
    inflight: t.inflight,
    buckets,
    sum: t.sum,
  };
}

// The metrics service's short history, in memory: the scraper starts a round, hands in what each
// node's Debug.Metrics answered, and finishes the round; Query reads rates and quantiles from it.
// Per node and endpoint only the last counts are kept (to take differences: a count lower than
// before is a restarted node, whose counts then start from 0); the differences are summed per
// service and endpoint into one slot per round, so memory grows with endpoints, not nodes: at
// most `maxSeries` endpoints and `maxNodes` nodes (more are ignored until others leave), each
// endpoint a ring of window/interval + 2 slots. A node missing a round has its next difference
// spread evenly over the rounds it missed. An endpoint no node reported for a whole window is
// forgotten. Times are the scraper's clock (the rounds' starts), never the nodes'.
import { histogramQuantile } from './quantile.ts';
import {
  LATENCY_BUCKETS,
  type EndpointCounts,
  type EndpointSeries,
  type MetricsReport,
} from './metrics.ts';

/** Bounds of the history. */
export interface HistoryOptions {
  /** Ms of history kept (MICRO_METRICS_WINDOW). */
  window: number;
  /** Ms between rounds (MICRO_METRICS_INTERVAL). */
  interval: number;
  /** Endpoints (service and endpoint) kept at most. */
  maxSeries: number;
  /** Nodes followed at most. */
  maxNodes: number;
}

type Kind = EndpointCounts['kind'];

// A slot: calls, errors, seconds spent (index 2), then the cumulative buckets with +Inf last.
const CALLS = 0;
const ERRORS = 1;
const BUCKET = 3;
const WIDTH = BUCKET + LATENCY_BUCKETS.length + 1;

/** One endpoint of a service: a slot per round. */
interface Series {
  service: string;
  endpoint: string;
  kind: Kind;
  /** The first round it has figures for. */
  since: number;
  /** The last round a node reported it in. */
  seen: number;
  /** Summed over the nodes that answered the last round. */
  inflight: number;
  slots: Float64Array;
}

/** One node's last counts of one endpoint (buckets with +Inf last). */
interface Last {
  round: number;
  calls: number;
  errors: number;
  sum: number;
  inflight: number;
  buckets: number[];
}

/** A node followed: its service and last counts per endpoint. */
interface NodeState {
  service: string;
  round: number;
  endpoints: Map<string, Last>;
}

const key = (a: string, b: string): string => `${a}\u0000${b}`;
const round2 = (n: number): number => Math.round(n * 100) / 100;
const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** The buckets of an answer with +Inf (the calls) last. */
const withInf = (c: EndpointCounts): number[] =>
  c.buckets.length > LATENCY_BUCKETS.length
    ? c.buckets.slice(0, LATENCY_BUCKETS.length + 1)
    : [...c.buckets, c.calls];

/** The history of the fleet's figures, fed by the scraper. */
export class History {
  readonly #o: HistoryOptions;
  /** Slots per series: the rounds of a window, and one before its first. */
  readonly #size: number;
  readonly #times: Float64Array;
  #round = -1;
  #completed = -1;
  readonly #series = new Map<string, Series>();
  readonly #nodes = new Map<string, NodeState>();
  /** Endpoints and nodes left out for the caps, since the start. */
  dropped = 0;

  constructor(options: HistoryOptions) {
    this.#o = options;
    this.#size = Math.min(100_000, Math.ceil(options.window / options.interval) + 2);
    this.#times = new Float64Array(this.#size);
  }

  /** Starts a round at `time`; returns its number. */
  begin(time: number): number {
    const r = ++this.#round;
    this.#times[r % this.#size] = time;
    const at = (r % this.#size) * WIDTH;
    for (const [k, s] of this.#series) {
      if (r - s.seen >= this.#size) this.#series.delete(k);
      else s.slots.fill(0, at, at + WIDTH);
    }
    return r;
  }

  /** Takes what a node of `service` answered in round `r`. */
  observe(r: number, service: string, node: string, counts: EndpointCounts[]): void {
    const id = key(service, node);
    let state = this.#nodes.get(id);
    const known = state !== undefined;
    if (!state) {
      if (this.#nodes.size >= this.#o.maxNodes) {
        this.dropped++;
        return;
      }
      state = { service, round: r, endpoints: new Map() };
      this.#nodes.set(id, state);
    }
    const endpoints = new Map<string, Last>();
    for (const c of counts) {
      const series = this.#seriesOf(service, c, r);
      const now: Last = {
        round: r,
        calls: c.calls,
        errors: c.errors,
        sum: c.sum,
        inflight: c.inflight,
        buckets: withInf(c),
      };
      // Kept even past the caps: a series made later must not take all its counts as new.
      endpoints.set(c.endpoint, now);
      if (!series) continue;
      // An endpoint new to a node already followed had no count before (counts start at 0).
      const before =
        state.endpoints.get(c.endpoint) ??
        (known
          ? { ...now, round: state.round, calls: 0, errors: 0, sum: 0, buckets: [] }
          : undefined);
      if (before) this.#add(series, before, now, r);
    }
    state.round = r;
    state.endpoints = endpoints;
  }

  /** Ends round `r`: sums in-flight requests; forgets nodes no longer registered (`live` keys). */
  finish(r: number, registered: ReadonlySet<string>): void {
    for (const s of this.#series.values()) s.inflight = 0;
    for (const [id, state] of this.#nodes) {
      if (!registered.has(id)) {
        this.#nodes.delete(id);
        continue;
      }
      if (state.round !== r) continue;
      for (const [endpoint, last] of state.endpoints) {
        const s = this.#series.get(key(state.service, endpoint));
        if (s) s.inflight += last.inflight;
      }
    }
    this.#completed = r;
  }

  /** The key finish() takes for a node of a service. */
  static nodeKey(service: string, node: string): string {
    return key(service, node);
  }

  /** Figures per endpoint over the last `window` ms (of one service, when named). */
  report(query: { service?: string; window?: number }, now: number): MetricsReport {
    const window = Math.min(query.window ?? this.#o.window, this.#o.window);
    const c = this.#completed;
    const base = { time: c < 0 ? now : this.#time(c), window, step: this.#o.interval };
    if (c < 0) return { ...base, endpoints: [] };
    // The first round of the window: the ring still has it and the round before it.
    let first = c;
    const oldest = Math.max(1, c - this.#size + 2);
    while (first - 1 >= oldest && this.#time(first - 1) > base.time - window) first--;
    const endpoints: EndpointSeries[] = [];
    for (const s of this.#series.values()) {
      if (query.service !== undefined && s.service !== query.service) continue;
      const e = this.#figures(s, Math.max(first, oldest, s.since), c);
      if (e.calls > 0 || s.seen >= first) endpoints.push(e);
    }
    endpoints.sort((a, b) =>
      a.service === b.service
        ? a.endpoint.localeCompare(b.endpoint)
        : a.service.localeCompare(b.service),
    );
    return { ...base, endpoints };
  }

  #time(r: number): number {
    return this.#times[r % this.#size] ?? 0;
  }

  #seriesOf(service: string, c: EndpointCounts, r: number): Series | undefined {
    const k = key(service, c.endpoint);
    let s = this.#series.get(k);
    if (!s) {
      if (this.#series.size >= this.#o.maxSeries) {
        this.dropped++;
        return undefined;
      }
      s = {
        service,
        endpoint: c.endpoint,
        kind: c.kind,
        since: r + 1,
        seen: r,
        inflight: 0,
        slots: new Float64Array(this.#size * WIDTH),
      };
      this.#series.set(k, s);
    }
    s.kind = c.kind;
    s.seen = r;
    return s;
  }

  /** Adds a node's difference from `before` to `now` to the rounds after before's, up to r. */
  #add(s: Series, before: Last, now: Last, r: number): void {
    const reset =
      now.calls < before.calls ||
      now.errors < before.errors ||
      now.buckets.some((b, i) => b < (before.buckets[i] ?? 0));
    const from = reset ? undefined : before;
    const rounds = Math.max(1, r - before.round);
    const share = 1 / rounds;
    const oldest = Math.min(r, Math.max(before.round + 1, r - this.#size + 2));
    s.since = Math.min(s.since, oldest);
    const delta = [
      now.calls - (from?.calls ?? 0),
      now.errors - (from?.errors ?? 0),
      Math.max(0, now.sum - (from?.sum ?? 0)),
      ...now.buckets.map((b, i) => b - (from?.buckets[i] ?? 0)),
    ];
    for (let k = oldest; k <= r; k++) {
      const at = (k % this.#size) * WIDTH;
      for (let i = 0; i < WIDTH; i++) s.slots[at + i]! += (delta[i] ?? 0) * share;
    }
  }

  /** One series' points for rounds start..end and its figures over them. */
  #figures(s: Series, start: number, end: number): EndpointSeries {
    const total = new Float64Array(WIDTH);
    const points = [];
    for (let k = start; k <= end; k++) {
      const at = (k % this.#size) * WIDTH;
      const slot = s.slots.subarray(at, at + WIDTH);
      for (let i = 0; i < WIDTH; i++) total[i]! += slot[i]!;
      const seconds = (this.#time(k) - this.#time(k - 1)) / 1000;
      points.push({
        time: this.#time(k),
        rate: seconds > 0 ? round3(slot[CALLS]! / seconds) : 0,
        errorRate: seconds > 0 ? round3(slot[ERRORS]! / seconds) : 0,
        ...this.#quantiles(slot),
      });
    }
    const seconds = start <= end ? (this.#time(end) - this.#time(start - 1)) / 1000 : 0;
    return {
      service: s.service,
      endpoint: s.endpoint,
      kind: s.kind,
      rate: seconds > 0 ? round3(total[CALLS]! / seconds) : 0,
      errorRate: seconds > 0 ? round3(total[ERRORS]! / seconds) : 0,
      ...this.#quantiles(total),
      calls: Math.round(total[CALLS]!),
      errors: Math.round(total[ERRORS]!),
      inflight: s.seen === end ? s.inflight : 0,
      points,
    };
  }

  #quantiles(slot: Float64Array): { p50: number; p99: number } {
    const buckets = slot.subarray(BUCKET, WIDTH);
    return {
      p50: round2(histogramQuantile(0.5, buckets) * 1000),
      p99: round2(histogramQuantile(0.99, buckets) * 1000),
    };
  }
}

// Recent latency per service and endpoint, for hedging's default delay (the p95). Guarantees:
// recording is O(1) (a ring of the last 128 answers); the p95 is sorted again only when asked and
// at least 16 answers came since it last was. Limits: only the calls that may be hedged are
// recorded (others pay nothing); at most 10,000 endpoints are kept, the oldest dropped first; no p95
// before 10 answers.

const SIZE = 128;
const STALE_AFTER = 16;
const MIN_SAMPLES = 10;
const MAX_ENDPOINTS = 10_000;

/** The last answers' latencies of one endpoint, and their p95. */
export class LatencyRing {
  readonly #ms = new Float64Array(SIZE);
  #count = 0;
  #sinceSort = 0;
  #p95: number | undefined;

  /** Records one answer's latency in ms. */
  record(ms: number): void {
    this.#ms[this.#count % SIZE] = ms;
    this.#count++;
    this.#sinceSort++;
  }

  /** The 95th percentile of the recorded latencies in ms; undefined before 10 answers. */
  p95(): number | undefined {
    const n = Math.min(this.#count, SIZE);
    if (n < MIN_SAMPLES) return undefined;
    if (this.#p95 === undefined || this.#sinceSort >= STALE_AFTER) {
      const sorted = this.#ms.slice(0, n).sort();
      this.#p95 = sorted[Math.min(n - 1, Math.ceil(n * 0.95) - 1)];
      this.#sinceSort = 0;
    }
    return this.#p95;
  }
}

/** LatencyRings by service and endpoint, bounded. */
export class Latencies {
  readonly #rings = new Map<string, LatencyRing>();

  /** The ring of an endpoint of a service, made at first use. */
  of(service: string, endpoint: string): LatencyRing {
    const key = `${service}\n${endpoint}`;
    let ring = this.#rings.get(key);
    if (!ring) {
      // The Map keeps insertion order: the first key is the oldest endpoint.
      if (this.#rings.size >= MAX_ENDPOINTS)
        this.#rings.delete(this.#rings.keys().next().value as string);
      this.#rings.set(key, (ring = new LatencyRing()));
    }
    return ring;
  }
}

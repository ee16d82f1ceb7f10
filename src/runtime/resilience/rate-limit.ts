// Token buckets by key (a client's address, a caller's id): `rate` tokens a second, at most `burst`
// held. Guarantees: a key takes at most burst + rate * t tokens in any t seconds; memory is bounded
// (idle keys whose bucket is full again are swept, and past `maxKeys` the oldest key is dropped,
// which only resets that key's bucket). Used by the gateway and by the server's caller limits.

/** A token bucket per key: `rate` requests a second, bursts of up to `burst`. */
export interface RateLimiter {
  /** Takes a token for the key: 0 when allowed, else the seconds until one is free. */
  take(key: string): number;
  /** Stops sweeping idle keys. */
  close(): void;
}

/** Options of a rate limiter beyond its rate and burst. */
export interface RateLimiterOptions {
  /** Keys tracked at most (default 100,000). */
  maxKeys?: number;
  /** The clock, in ms (default Date.now; tests inject one). */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Creates a rate limiter; buckets of idle clients are dropped once they are full again. */
export function createRateLimiter(
  rate: number,
  burst = Math.max(1, rate),
  options: RateLimiterOptions = {},
): RateLimiter {
  if (!(rate > 0) || !Number.isFinite(rate))
    throw new TypeError(`rate must be a positive number, not ${rate}`);
  if (!(burst >= 1) || !Number.isFinite(burst))
    throw new TypeError(`burst must be a number >= 1, not ${burst}`);
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 100_000;
  const buckets = new Map<string, Bucket>();
  const refillMs = (burst / rate) * 1000;
  const sweep = setInterval(
    () => {
      const t = now();
      for (const [k, b] of buckets) if (t - b.at >= refillMs) buckets.delete(k);
    },
    Math.max(1000, Math.min(refillMs, 60_000)),
  );
  sweep.unref();
  return {
    take(key) {
      const t = now();
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value!);
        buckets.set(key, (b = { tokens: burst, at: t }));
      } else {
        b.tokens = Math.min(burst, b.tokens + (Math.max(0, t - b.at) / 1000) * rate);
        b.at = t;
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return (1 - b.tokens) / rate;
    },
    close: () => clearInterval(sweep),
  };
}

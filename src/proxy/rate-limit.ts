/** A token bucket per client: `rate` requests a second, bursts of up to `burst`. */
export interface RateLimiter {
  /** Takes a token for the key: 0 when allowed, else the seconds until one is free. */
  take(key: string): number;
  close(): void;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Creates a rate limiter; buckets of idle clients are dropped once they are full again. */
export function createRateLimiter(rate: number, burst = Math.max(1, rate)): RateLimiter {
  const buckets = new Map<string, Bucket>();
  const refillMs = (burst / rate) * 1000;
  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [k, b] of buckets) if (now - b.at >= refillMs) buckets.delete(k);
    },
    Math.max(1000, Math.min(refillMs, 60_000)),
  );
  sweep.unref();
  return {
    take(key) {
      const now = Date.now();
      let b = buckets.get(key);
      if (!b) buckets.set(key, (b = { tokens: burst, at: now }));
      else {
        b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
        b.at = now;
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

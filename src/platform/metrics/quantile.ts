// Quantiles from a cumulative latency histogram, as PromQL's histogram_quantile computes them:
// find the bucket the rank falls in and interpolate linearly between its bounds (the first bucket
// starts at 0); a rank in the +Inf bucket answers the highest finite bound. No request answers 0.
import { LATENCY_BUCKETS } from './metrics.ts';

/**
 * The q-quantile (0..1), in the unit of `bounds`, of cumulative bucket counts: `counts[i]` requests
 * took at most `bounds[i]`, and `counts[bounds.length]` (the +Inf bucket) is every request.
 */
export function histogramQuantile(
  q: number,
  counts: ArrayLike<number>,
  bounds: readonly number[] = LATENCY_BUCKETS,
): number {
  const total = counts[bounds.length] ?? 0;
  if (!(total > 0)) return 0;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const upTo = counts[i] ?? 0;
    if (upTo >= rank && upTo > below) {
      const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
      const upper = bounds[i] ?? lower;
      return lower + (upper - lower) * ((rank - below) / (upTo - below));
    }
    below = Math.max(below, upTo);
  }
  return bounds[bounds.length - 1] ?? 0;
}

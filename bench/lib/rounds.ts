// Interleaved rounds: each contender measured once a round, the order rotated every round, and
// ratios taken against a contender measured in the same round, so a drift of the machine hits all.
import type { LoopStats } from './closed-loop.ts';

/** One contender, ready to be measured. */
export interface Entrant<S> {
  key: string;
  measure(): Promise<S>;
}

/** A ratio taken each round: a contender's value over the baseline contender's. */
export interface Ratio<S> {
  baseline: string;
  value(s: S): number;
}

/** One contender's samples, a round each, and each named ratio's values, a round each. */
export interface Series<S> {
  samples: S[];
  ratios: Record<string, number[]>;
}

/** How many rounds, what to take in each, and how a progress line shows a sample. */
export interface RoundsOptions<S> {
  rounds: number;
  /** Progress lines pad the key to this width. */
  keyWidth: number;
  /** What a progress line shows after the key (errors are added). */
  describe(s: S): string;
  ratios: Record<string, Ratio<S>>;
}

/**
 * The entrants, once every start has settled (so that no child is spawned after a failure stopped
 * the others); the first failure when one failed.
 */
export async function allStarted<S>(starts: Promise<Entrant<S>>[]): Promise<Entrant<S>[]> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<Entrant<S>>).value);
}

/** Measures every entrant once a round, printing a progress line each; resolves with the series by key. */
export async function runRounds<S extends LoopStats>(
  entrants: Entrant<S>[],
  o: RoundsOptions<S>,
): Promise<Map<string, Series<S>>> {
  const names = Object.keys(o.ratios);
  const series = new Map<string, Series<S>>(
    entrants.map((e) => [
      e.key,
      { samples: [], ratios: Object.fromEntries(names.map((n) => [n, []])) },
    ]),
  );
  for (let round = 0; round < o.rounds; round++) {
    // Rotate the order each round so no contender always runs first or last.
    const order = entrants.map((_, i) => entrants[(i + round) % entrants.length] as Entrant<S>);
    const inRound = new Map<string, S>();
    for (const e of order) {
      const s = await e.measure();
      inRound.set(e.key, s);
      series.get(e.key)?.samples.push(s);
      console.log(
        `  round ${round + 1}/${o.rounds} ${e.key.padEnd(o.keyWidth)} ${o.describe(s)}` +
          (s.errors > 0 ? `  ${s.errors} errors, first: ${s.firstError ?? '?'}` : ''),
      );
    }
    for (const [key, s] of inRound) {
      for (const [name, r] of Object.entries(o.ratios)) {
        const base = inRound.get(r.baseline);
        if (base) series.get(key)?.ratios[name]?.push(r.value(s) / r.value(base));
      }
    }
  }
  return series;
}

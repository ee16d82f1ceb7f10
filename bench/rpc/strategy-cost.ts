// What a load-aware strategy costs the caller: client CPU per call of the selector-picked contenders
// (least-outstanding, latency) against random over the same three nodes, and of random (the
// selector's path) against a call dialed directly (micro-json), medians over the same rounds.
import type { PerCall } from '../lib/protocol.ts';
import { medianOf } from '../lib/report.ts';
import type { Series } from '../lib/rounds.ts';
import { fmt } from '../lib/stats.ts';

/** Each line: a contender and the one it is compared with. */
const PAIRS: [string, string][] = [
  ['micro-random', 'micro-json'],
  ['micro-lor', 'micro-random'],
  ['micro-latency', 'micro-random'],
];

/** Prints the client CPU each strategy adds per call; nothing when those contenders were not run. */
export function printStrategyCost(series: Map<string, Series<PerCall>>): void {
  const lines = PAIRS.flatMap(([key, base]) => {
    const a = series.get(key);
    const b = series.get(base);
    if (!a || !b) return [];
    const us = medianOf(a, (s) => s.clientUsPerCall) - medianOf(b, (s) => s.clientUsPerCall);
    const calls = medianOf(a, (s) => s.callsPerSec) / medianOf(b, (s) => s.callsPerSec);
    return [
      `${key} vs ${base}: client CPU ${us >= 0 ? '+' : ''}${fmt(us, 2)} us/call, calls/s x${fmt(calls, 2)}`,
    ];
  });
  if (lines.length === 0) return;
  console.log('\nSelection cost (client CPU per call, same rounds):');
  for (const line of lines) console.log(`  ${line}`);
}

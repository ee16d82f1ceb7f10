// The scale benchmark's settings, from its flags and the environment (see index.ts), checked
// before anything starts.
import { readSettings, toNumber } from '../lib/settings.ts';

/** The parts of the benchmark, each selectable with --only. */
export const PARTS = ['dashboard', 'explorer', 'payloads', 'memory'] as const;
/** One part of the benchmark. */
export type Part = (typeof PARTS)[number];

/** The settings from argv and the environment. */
export function config(argv = process.argv.slice(2)) {
  const s = readSettings(argv, {
    quick: { type: 'boolean' },
    only: { type: 'string' },
    'churn-seconds': { type: 'string' },
  });
  const quick = s.on('quick', 'BENCH_QUICK');
  const rawN = process.env.BENCH_SCALE_N;
  const sizes = (rawN ? rawN.split(',') : quick ? ['100', '1000'] : ['100', '1000', '5000']).map(
    (x) => Math.round(toNumber(x.trim(), NaN, 1, 'BENCH_SCALE_N')),
  );
  const only = s.text('only', 'BENCH_SCALE_ONLY');
  const parts = only === undefined ? [...PARTS] : only.split(',').map((p) => p.trim());
  for (const p of parts)
    if (!(PARTS as readonly string[]).includes(p))
      throw new Error(`--only: unknown part ${p}; use ${PARTS.join(', ')}`);
  const rawMode = process.env.BENCH_CONTROL_PLANE || 'binary';
  if (rawMode !== 'binary' && rawMode !== 'dev')
    throw new Error(`BENCH_CONTROL_PLANE must be binary or dev, got "${rawMode}"`);
  const mode: 'binary' | 'dev' = rawMode;
  return {
    sizes,
    parts: parts as Part[],
    quick,
    mode,
    build: process.env.BENCH_BUILD === '1',
    /** Churn rates, services changed per second. */
    rates: [10, 100],
    churnMs: s.number('churn-seconds', 'BENCH_SCALE_CHURN_S', quick ? 5 : 10, 1) * 1000,
    /** Timed dashboard visits after a warm-up one. */
    visits: 3,
    keystrokes: quick ? 3 : 5,
    /** Register/deregister cycles of the whole fleet for the memory figure. */
    cycles: 3,
  };
}

/** The scale benchmark's settings. */
export type Config = ReturnType<typeof config>;

// Property-based fuzzing with fast-check: bounded runs in CI, longer ones with `npm run test:fuzz`.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import fc from 'fast-check';

/** Runs per property: MICRO_FUZZ_RUNS, or the CI default given by the test. */
export function fuzzRuns(ciDefault: number): number {
  const n = Number(process.env.MICRO_FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : ciDefault;
}

/** Parameters for fc.assert: the run count, a time limit, and MICRO_FUZZ_SEED to replay a failure. */
export function fuzzParams<T>(ciDefault: number, timeLimitMs = 60_000): fc.Parameters<T> {
  const seed = Number(process.env.MICRO_FUZZ_SEED);
  return {
    numRuns: fuzzRuns(ciDefault),
    // A longer MICRO_FUZZ_RUNS run gets the time it needs; CI's stays bounded.
    interruptAfterTimeLimit: process.env.MICRO_FUZZ_RUNS ? undefined : timeLimitMs,
    ...(Number.isInteger(seed) ? { seed } : {}),
    // fast-check's failure message carries the seed and the path: replay with MICRO_FUZZ_SEED.
    verbose: 1,
  };
}

/** The longest the event loop stalled (ms) while fn ran; a handler that blocks it shows here. */
export async function maxLoopDelay(fn: () => Promise<void>): Promise<number> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  try {
    await fn();
  } finally {
    h.disable();
  }
  return h.max / 1e6;
}

/** Bytes around a valid request: random bytes, the request cut short with garbage after, one byte changed. */
export function mangled(valid: string): fc.Arbitrary<Buffer> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    fc
      .tuple(fc.nat({ max: valid.length }), fc.uint8Array({ maxLength: 40 }))
      .map(([cut, tail]) => Buffer.concat([Buffer.from(valid.slice(0, cut)), Buffer.from(tail)])),
    fc
      .tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 }))
      .map(([at, byte]) => {
        const b = Buffer.from(valid);
        b[at] = byte;
        return b;
      }),
  );
}

/** Bytes from `valid`, then `minEdits` (default 1) to `maxEdits` bytes flipped, inserted, removed or set. */
export function edited(
  valid: fc.Arbitrary<Buffer>,
  { minEdits = 1, maxEdits }: { minEdits?: number; maxEdits: number },
): fc.Arbitrary<Buffer> {
  const edit = fc.record({
    at: fc.nat(),
    op: fc.constantFrom('flip', 'insert', 'delete', 'set'),
    byte: fc.integer({ min: 0, max: 255 }),
  });
  return fc
    .tuple(valid, fc.array(edit, { minLength: minEdits, maxLength: maxEdits }))
    .map(([buffer, edits]) => {
      const bytes = [...buffer];
      for (const e of edits) {
        const at = e.at % (bytes.length + 1);
        if (e.op === 'insert') bytes.splice(at, 0, e.byte);
        else if (at < bytes.length) {
          if (e.op === 'delete') bytes.splice(at, 1);
          else if (e.op === 'flip') bytes[at] = (bytes[at] as number) ^ (1 << (e.byte % 8));
          else bytes[at] = e.byte;
        }
      }
      return Buffer.from(bytes);
    });
}

export { fc };

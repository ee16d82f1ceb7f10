// Fuzzes frame decoding: any bytes give frames, refusals (413, 431) or a FrameError, valid frames round-trip byte for byte.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MicroError } from '../../src/runtime/errors.ts';
import {
  FrameError,
  FrameReader,
  Kind,
  encodeFrame,
  type Frame,
  type FrameLimits,
} from '../../src/runtime/transport/frame.ts';
import type { Header } from '../../src/runtime/transport/transport.ts';
import { edited, fc, fuzzParams } from '../helpers/fuzz.ts';

/** One frame as a sender would build it. */
interface Spec {
  kind: number;
  id: number;
  header: Header;
  body: Uint8Array;
}

const spec: fc.Arbitrary<Spec> = fc.record({
  kind: fc.integer({ min: 1, max: 9 }),
  id: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 0xffffffff })),
  header: fc.dictionary(
    fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('__proto__', 'constructor', 'micro-endpoint'),
    ),
    fc.string({ unit: 'binary', maxLength: 40 }),
    { maxKeys: 8 },
  ),
  body: fc.uint8Array({ maxLength: 300 }),
});

/** Where to cut a byte string into the reads a socket might deliver. */
const cuts = fc.array(fc.nat({ max: 4000 }), { maxLength: 12 });

function split(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((n) => n % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out.filter((b) => b.length > 0);
}

/** Small limits, so that refusals and skipped frames happen often. */
const SMALL: FrameLimits = { maxFrameBytes: 200, maxHeaderPairs: 4, maxHeaderBytes: 100 };

/** Feeds chunks to a reader; returns what it decoded and refused, or the FrameError it threw. */
function run(chunks: Buffer[], limits?: FrameLimits) {
  const frames: Frame[] = [];
  const refused: MicroError[] = [];
  const reader = new FrameReader(
    (f) => frames.push({ ...f, body: Buffer.from(f.body) }),
    limits,
    (_kind, _id, err) => refused.push(err),
  );
  let error: unknown;
  try {
    for (const c of chunks) reader.push(c);
  } catch (err) {
    error = err;
  }
  return { frames, refused, error };
}

/** The documented failure: a FrameError, 400, in our words. */
function assertFrameError(err: unknown): void {
  if (err === undefined) return;
  assert.ok(err instanceof FrameError, `threw ${err instanceof Error ? err.message : typeof err}`);
  assert.equal(err.code, 400);
  assert.doesNotMatch(err.detail, /RangeError|ERR_|out of range|Received/);
}

function assertRefusals(refused: MicroError[]): void {
  for (const e of refused) {
    assert.ok(e instanceof MicroError);
    assert.ok(e.code === 413 || e.code === 431, `refused with ${e.code}`);
  }
}

/** A valid byte stream, then mutated: bytes flipped, inserted, removed. */
const mutated = edited(
  fc
    .array(spec, { minLength: 1, maxLength: 6 })
    .map((specs) => Buffer.concat(specs.map((s) => encodeFrame(s.kind, s.id, s.header, s.body)))),
  { maxEdits: 6 },
);

describe('fuzz: frame decoding', () => {
  it('valid frames decode to what was sent and re-encode to the same bytes, however the reads are cut', () => {
    fc.assert(
      fc.property(fc.array(spec, { maxLength: 8 }), cuts, (specs, at) => {
        const encoded = specs.map((s) => encodeFrame(s.kind, s.id, s.header, s.body));
        const { frames, refused, error } = run(split(Buffer.concat(encoded), at));
        assert.equal(error, undefined);
        assert.equal(refused.length, 0);
        assert.equal(frames.length, specs.length);
        frames.forEach((f, i) => {
          const s = specs[i] as Spec;
          assert.equal(f.kind, s.kind);
          assert.equal(f.id, s.id);
          assert.deepEqual({ ...f.header }, { ...s.header });
          assert.ok(Buffer.from(s.body).equals(f.body));
          assert.ok(encodeFrame(f.kind, f.id, f.header, f.body).equals(encoded[i] as Buffer));
        });
      }),
      fuzzParams(1000, 10_000),
    );
  });

  it('arbitrary bytes give frames or a FrameError, nothing else, in bounded time', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), cuts, fc.boolean(), (bytes, at, small) => {
        const started = performance.now();
        const { refused, error } = run(split(Buffer.from(bytes), at), small ? SMALL : undefined);
        assertFrameError(error);
        assertRefusals(refused);
        assert.ok(performance.now() - started < 1000);
      }),
      fuzzParams(2000, 10_000),
    );
  });

  it('mutated valid frames give frames, refusals or a FrameError, nothing else', () => {
    fc.assert(
      fc.property(mutated, cuts, fc.boolean(), (bytes, at, small) => {
        const { refused, error } = run(split(bytes, at), small ? SMALL : undefined);
        assertFrameError(error);
        assertRefusals(refused);
      }),
      fuzzParams(2000, 10_000),
    );
  });

  it('skips frames over the size limit without keeping their bytes, and reads on after them', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 201, max: 1_000_000 }),
        fc.integer({ min: 1, max: 65_536 }),
        (size, chunk) => {
          const big = encodeFrame(Kind.request, 7, { 'micro-endpoint': 'x' }, Buffer.alloc(size));
          const after = encodeFrame(Kind.ping, 8, undefined);
          const all = Buffer.concat([big, after]);
          const chunks: Buffer[] = [];
          for (let i = 0; i < all.length; i += chunk) chunks.push(all.subarray(i, i + chunk));
          const { frames, refused, error } = run(chunks, SMALL);
          assert.equal(error, undefined);
          assert.equal(refused.length, 1);
          assert.equal(refused[0]?.code, 413);
          assert.deepEqual(
            frames.map((f) => [f.kind, f.id]),
            [[Kind.ping, 8]],
          );
        },
      ),
      fuzzParams(300, 10_000),
    );
  });

  it('holds no more than one frame of memory for a stream of frames claiming large sizes', () => {
    // 200 heads claiming 60 MiB each, one per read, with a few bytes of body: at most a skip count.
    const before = process.memoryUsage().rss;
    const reader = new FrameReader(
      () => undefined,
      SMALL,
      () => undefined,
    );
    const head = Buffer.alloc(64);
    head.writeUInt32BE(60 * 1024 * 1024, 0);
    head[4] = Kind.request;
    for (let i = 0; i < 200; i++) reader.push(head);
    assert.ok(reader.partial);
    const grown = (process.memoryUsage().rss - before) / 1024 / 1024;
    assert.ok(grown < 64, `rss grew ${grown.toFixed(0)} MiB`);
  });
});

// Fuzzes the codecs: any bytes decode to a value or a CodecError, values round-trip, nothing pollutes prototypes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CodecError, codecs } from '../../src/runtime/codec/index.ts';
import { fc, fuzzParams } from '../helpers/fuzz.ts';

/** Bytes that are, or start like, each codec's format, so the decoders go past their first byte. */
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc.string({ maxLength: 256 }).map((s) => new Uint8Array(Buffer.from(s))),
  fc
    .tuple(
      fc.constantFrom(0x91, 0xdc, 0xdd, 0xde, 0xdf, 0xc4, 0xc6, 0xd9, 0xdb),
      fc.uint8Array({ maxLength: 64 }),
    )
    .map(([head, rest]) => Uint8Array.from([head, ...rest])),
  fc.uint8Array({ minLength: 4, maxLength: 128 }).map((b) => {
    // A BSON document with a length prefix that may or may not match its size.
    const out = Buffer.from(b);
    out.writeInt32LE(b.length, 0);
    return new Uint8Array(out);
  }),
);

/** Deep nesting: recursion in a decoder must end as a CodecError, not a crash. */
const deep = (codec: string, depth: number): Uint8Array => {
  if (codec === 'json') return Buffer.from('['.repeat(depth) + ']'.repeat(depth));
  if (codec === 'msgpack') return Buffer.concat([Buffer.alloc(depth, 0x91), Buffer.from([0x90])]);
  // BSON: documents nested under key "a", built from the inside out.
  let doc = Buffer.from([5, 0, 0, 0, 0]);
  for (let i = 0; i < Math.min(depth, 5_000); i++) {
    const outer = Buffer.alloc(doc.length + 8);
    outer.writeInt32LE(outer.length, 0);
    outer[4] = 0x03;
    outer[5] = 0x61;
    outer[6] = 0;
    doc.copy(outer, 7);
    outer[outer.length - 1] = 0;
    doc = outer;
  }
  return doc;
};

for (const [name, make] of Object.entries(codecs)) {
  describe(`fuzz: ${name} codec`, () => {
    const codec = make();

    it('decodes any bytes to a value or a CodecError, in bounded time', () => {
      fc.assert(
        fc.property(bytes, (input) => {
          const started = performance.now();
          try {
            codec.decode(input);
          } catch (err) {
            assert.ok(err instanceof CodecError, `${name} threw ${String(err)}`);
          }
          assert.ok(performance.now() - started < 1000, 'one decode stays well under a second');
        }),
        fuzzParams(2000, 20_000),
      );
    });

    it('never changes Object.prototype, whatever the keys', () => {
      fc.assert(
        fc.property(
          fc.dictionary(
            fc.constantFrom('__proto__', 'constructor', 'prototype', 'x'),
            fc.jsonValue(),
          ),
          (value) => {
            const text = JSON.stringify(value).replace(/"__proto_"/g, '"__proto__"');
            const parsed: unknown = JSON.parse(text);
            try {
              codec.decode(codec.encode(parsed));
            } catch (err) {
              assert.ok(err instanceof CodecError || err instanceof Error);
            }
            assert.equal(Object.keys(Object.prototype).length, 0, 'Object.prototype gained keys');
            assert.equal(({} as Record<string, unknown>).x, undefined);
          },
        ),
        fuzzParams(500, 10_000),
      );
    });

    it('round-trips JSON values', () => {
      // msgpackr stores a `__proto__` key as `__proto_` (its guard against pollution), so such keys are left out.
      const key = fc.string({ maxLength: 12 }).filter((k) => k !== '__proto__');
      const value = fc.jsonValue({ maxDepth: 4 }).chain(
        () =>
          fc.letrec((tie) => ({
            node: fc.oneof(
              { depthSize: 'small' },
              fc.constant(null),
              fc.boolean(),
              fc.integer(),
              fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
              fc.string({ maxLength: 40 }),
              fc.array(tie('node'), { maxLength: 5 }),
              fc.dictionary(key, tie('node'), { maxKeys: 5, noNullPrototype: true }),
            ),
          })).node,
      );
      fc.assert(
        fc.property(value, (v) => {
          assert.deepEqual(codec.decode(codec.encode(v)), v);
        }),
        fuzzParams(1000, 15_000),
      );
    });

    it('turns 100,000 levels of nesting into a CodecError or a value', () => {
      try {
        codec.decode(deep(name, 100_000));
      } catch (err) {
        assert.ok(err instanceof CodecError, `${name} threw ${String(err)}`);
      }
    });
  });
}

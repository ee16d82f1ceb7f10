import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Codec } from '../../src/runtime/codec/codec.ts';

/**
 * The codec contract: what `encode` takes, `decode` gives back equal; an empty body decodes to {};
 * a body that is not the codec's format throws a CodecError (code MICRO_ERR_CODEC_INVALID).
 */
export function runCodecCases(label: string, make: () => Codec): void {
  describe(`codec contract: ${label}`, () => {
    const codec = make();
    const roundTrip = (value: unknown): unknown => {
      const bytes = codec.encode(value);
      assert.ok(bytes instanceof Uint8Array, 'encode gives bytes');
      assert.ok(bytes.length > 0, 'encode never gives an empty body');
      return codec.decode(bytes);
    };

    it('names itself and its content type', () => {
      assert.equal(codec.name, label);
      assert.match(codec.contentType, /^application\/[a-z0-9.+-]+$/);
    });

    it('round-trips objects, nested objects and arrays', () => {
      const values: unknown[] = [
        {},
        { name: 'alice', age: 30, admin: false, note: null },
        { a: { b: { c: { d: [1, { e: 'deep' }] } } } },
        {
          list: [],
          matrix: [
            [1, 2],
            [3, 4],
          ],
          mixed: [1, 'two', true, null, { five: 5 }],
        },
        { nested: { empty: {}, none: [] } },
      ];
      for (const v of values) assert.deepEqual(roundTrip(v), v);
    });

    it('round-trips values that are not objects at the top level', () => {
      for (const v of ['text', '', 42, -1.5, 0, true, false, null, [], [1, 'a', { b: 2 }], [[]]])
        assert.deepEqual(roundTrip(v), v, `value ${JSON.stringify(v)}`);
    });

    it('round-trips unicode in keys and values', () => {
      const v = {
        clé: 'héllo wörld',
        emoji: '😀👍🏽 family: 👨‍👩‍👧',
        cjk: '微服务',
        rtl: 'مرحبا',
        escapes: 'tab\tquote" backslash\\ newline\n zero-width\u200b',
        键: ['ünïcödé', 'ß'],
      };
      assert.deepEqual(roundTrip(v), v);
      assert.equal(roundTrip('😀'), '😀');
    });

    it('round-trips integers, large integers and floats exactly', () => {
      const v = {
        ints: [0, 1, -1, 127, 128, 255, 256, 65535, 65536, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1],
        large: [2 ** 32, 2 ** 40, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 60],
        floats: [0.1, -1.5, 3.141592653589793, 1e-300, 1e300, Number.MAX_VALUE, Number.EPSILON],
      };
      const back = roundTrip(v) as typeof v;
      assert.deepEqual(back, v);
      assert.equal(back.large[2], 9007199254740991);
      assert.equal((back.floats[0] ?? 0) + 0.2, 0.1 + 0.2, 'a float stays a double');
    });

    it('decodes an empty body to an empty object', () => {
      assert.deepEqual(codec.decode(new Uint8Array(0)), {});
    });

    it('throws the invalid-body error on bytes that are not its format', () => {
      const whole = codec.encode({ id: 7, name: 'a body cut short', tags: ['x', 'y'] });
      const bodies = [
        whole.subarray(0, whole.length - 4), // cut short
        Buffer.from('{this is not a body at all\xff', 'latin1'),
      ];
      for (const bytes of bodies)
        assert.throws(
          () => codec.decode(bytes),
          (err: unknown) =>
            err instanceof Error && (err as { code?: unknown }).code === 'MICRO_ERR_CODEC_INVALID',
          `decoding ${Buffer.from(bytes).toString('hex')} throws`,
        );
    });
  });
}

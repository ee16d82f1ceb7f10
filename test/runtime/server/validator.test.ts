import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { createValidatorCompiler, isPlainValid } from '../../../src/runtime/server/validator.ts';

// Schemas built from the keywords isPlainValid knows, valid and slightly wrong, at random.
function randomSchema(depth: number, rnd: () => number): unknown {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  if (depth > 2 || rnd() < 0.1) return pick([true, false, {}]);
  const s: Record<string, unknown> = {};
  const keys = [
    'type',
    'properties',
    'required',
    'items',
    'additionalProperties',
    'title',
    'description',
    'enum',
    'minimum',
    'maximum',
    'exclusiveMinimum',
    'exclusiveMaximum',
    'minLength',
    'maxLength',
    'minItems',
    'maxItems',
    'pattern',
    'format',
    'default',
  ];
  for (const k of keys) {
    if (rnd() < 0.7) continue;
    const bad = rnd() < 0.15;
    switch (k) {
      case 'type':
        s[k] = bad
          ? pick(['strin', ['string', 'string'], [], 3])
          : rnd() < 0.5
            ? pick(['string', 'object', 'array', 'integer', 'null'])
            : ['string', 'null'];
        break;
      case 'properties':
        s[k] = bad
          ? pick([[], 'x', { a: 3 }])
          : { a: randomSchema(depth + 1, rnd), b: randomSchema(depth + 1, rnd) };
        break;
      case 'required':
        s[k] = bad ? pick(['a', ['a', 'a'], [1]]) : pick([[], ['a'], ['a', 'b']]);
        break;
      case 'items':
        s[k] = bad
          ? pick([[], 'x', 3])
          : rnd() < 0.5
            ? randomSchema(depth + 1, rnd)
            : [randomSchema(depth + 1, rnd)];
        break;
      case 'additionalProperties':
        s[k] = bad ? pick(['x', 3, []]) : randomSchema(depth + 1, rnd);
        break;
      case 'title':
      case 'description':
        s[k] = bad ? 3 : 'text';
        break;
      case 'enum':
        s[k] = bad ? pick([[], ['a', 'a'], 'a']) : pick([['a'], ['a', 'b'], [1, 'a'], [null]]);
        break;
      case 'minLength':
      case 'maxLength':
      case 'minItems':
      case 'maxItems':
        s[k] = bad ? pick([-1, 1.5, '2', Number.NaN]) : pick([0, 3]);
        break;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        s[k] = bad ? pick(['1', Number.NaN, Infinity]) : pick([0, -2.5, 10]);
        break;
      case 'pattern':
        s[k] = bad ? 3 : '^a';
        break;
      case 'format':
        s[k] = 'email';
        break;
      case 'default':
        s[k] = 1;
        break;
    }
  }
  return s;
}

function seeded(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

describe('request schema validators', () => {
  it('skips the meta-schema check only for schemas that pass it', () => {
    const meta = new Ajv({ allErrors: true, strict: false });
    const rnd = seeded(7);
    let plain = 0;
    for (let i = 0; i < 5000; i++) {
      const schema = randomSchema(0, rnd);
      if (!isPlainValid(schema)) continue;
      plain++;
      assert.equal(meta.validateSchema(schema as object), true, JSON.stringify(schema));
    }
    assert.ok(plain > 500, `only ${plain} of the random schemas were plain`);
  });

  it('compiles validators that answer as ajv does, and rejects invalid schemas as ajv does', () => {
    const rnd = seeded(11);
    for (let i = 0; i < 300; i++) {
      const schema = randomSchema(0, rnd) as object;
      const reference = new Ajv({ allErrors: true, strict: false });
      const compile = createValidatorCompiler();
      let want: ReturnType<Ajv['compile']> | Error;
      let got: ReturnType<Ajv['compile']> | Error;
      try {
        want = reference.compile(schema);
      } catch (e) {
        want = e as Error;
      }
      try {
        got = compile(schema as Record<string, unknown>);
      } catch (e) {
        got = e as Error;
      }
      if (want instanceof Error || got instanceof Error) {
        assert.equal(String(got), String(want), JSON.stringify(schema));
        continue;
      }
      for (const data of [
        {},
        { a: 'x' },
        { a: 1, b: [1] },
        'x',
        3,
        null,
        ['a'],
        { a: null, c: true },
      ]) {
        assert.equal(got(data), want(data));
        assert.deepEqual(got.errors, want.errors);
      }
    }
  });
});

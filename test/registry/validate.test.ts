import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasControls, printable, printableJson } from '../../src/registry/printable.ts';
import type { Service } from '../../src/registry/registry.ts';
import { RegistryErrors } from '../../src/registry/registry.ts';
import { DEFAULT_LIMITS, recordCheck } from '../../src/registry/validate.ts';

const ESC = '\u001b';

const record = (): Service => ({
  name: 'greeter',
  version: '1.0.0',
  metadata: { team: 'core' },
  endpoints: [
    {
      name: 'Say.Hello',
      request: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      metadata: {},
    },
  ],
  nodes: [{ id: 'greeter-1', address: '127.0.0.1:9090', metadata: { transport: 'tcp' } }],
});

/** The message of the invalid-record error a registration throws. */
function problem(s: unknown, ttl?: unknown, check = recordCheck()): string {
  try {
    check.registration(s as Service, ttl === undefined ? {} : { ttl: ttl as number });
  } catch (err) {
    assert.equal((err as { code?: string }).code, RegistryErrors.invalid);
    return (err as Error).message;
  }
  assert.fail('accepted');
}

describe('printable', () => {
  it('shows ESC, C1 controls, DEL and bidi overrides as escapes, keeping lines and tabs', () => {
    const text = `a${ESC}[31mred\u009b2J\u007f\u202eevil\r\n\tb\u0000`;
    const shown = printable(text);
    assert.equal(shown, 'a\\u001b[31mred\\u009b2J\\u007f\\u202eevil\\u000d\n\tb\\u0000');
    assert.equal(hasControls(shown.replace(/[\n\t]/g, '')), false);
    assert.equal(printable('a\nb\tc', false), 'a\\u000ab\\u0009c');
    assert.equal(printable('café ☕ 𝄞 <b>'), 'café ☕ 𝄞 <b>');
  });

  it('escapes in JSON text what JSON.stringify leaves raw, and the result is the same JSON', () => {
    const value = { s: `x\u009by\u2028z${ESC}` };
    const json = printableJson(JSON.stringify(value));
    assert.equal(hasControls(json), false);
    assert.deepEqual(JSON.parse(json), value);
  });
});

describe('recordCheck', () => {
  it('accepts a record as services register it, and returns its lease', () => {
    const check = recordCheck();
    assert.equal(check.registration(record(), { ttl: 30_000 }), 30_000);
    assert.equal(check.registration(record()), DEFAULT_LIMITS.defaultTtl);
  });

  it('names the field at fault', () => {
    /* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access -- records broken on purpose */
    const cases: [(s: Record<string, any>) => void, RegExp][] = [
      [
        (s) => (s.endpoints[0].metadata = { path: 5 }),
        /^endpoints\[0\]\.metadata\.path must be a string$/,
      ],
      [(s) => (s.nodes[0].metadata = { x: null }), /^nodes\[0\]\.metadata\.x must be a string$/],
      [(s) => (s.name = `a${ESC}[2J`), /^name "a\\u001b\[2J" may only have/],
      [(s) => (s.name = 'x'.repeat(129)), /^name is 129 characters long; the limit is 128$/],
      [(s) => (s.version = 7), /^version must be a string$/],
      [(s) => (s.nodes = {}), /^nodes must be an array$/],
      [(s) => (s.nodes[0].address = ''), /^nodes\[0\]\.address must not be empty$/],
      [
        (s) => (s.endpoints[0].request = []),
        /^endpoints\[0\]\.request must be a JSON Schema object$/,
      ],
      [
        (s) => (s.endpoints[0].request.properties = 'x'),
        /^endpoints\[0\]\.request\.properties must be/,
      ],
      [
        (s) => (s.endpoints[0].request.extra = () => 1),
        /^endpoints\[0\]\.request must be JSON data/,
      ],
      [
        (s) =>
          (s.metadata = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, '']))),
        /^metadata has 65 entries; the limit is 64$/,
      ],
      [
        (s) => (s.endpoints = Array.from({ length: 1025 }, () => ({ name: 'A.B', metadata: {} }))),
        /^endpoints has 1025 entries/,
      ],
    ];
    for (const [change, message] of cases) {
      const s = record() as unknown as Record<string, any>;
      change(s);
      assert.match(problem(s), message);
    }
    /* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access */
  });

  it('stops at a cycle or a deep structure instead of overflowing the stack', () => {
    const s = record();
    const loop: Record<string, unknown> = { type: 'object' };
    loop.items = loop;
    s.endpoints[0]!.request = loop;
    assert.match(problem(s), /nested deeper than 32 levels/);
  });

  it('refuses leases that are 0, negative, not numbers or beyond the limit', () => {
    for (const ttl of [0, -5, Number.NaN, Infinity, 86_400_001, '1000', null])
      assert.match(problem(record(), ttl), /^ttl must be a number of milliseconds above 0/);
  });

  it('takes its limits from the options', () => {
    const check = recordCheck({ limits: { nameLength: 4, defaultTtl: 1000 } });
    assert.match(problem({ ...record(), name: 'abcde' }, undefined, check), /the limit is 4/);
    assert.equal(check.registration({ ...record(), name: 'abcd' }), 1000);
  });

  it('checks a 1 MiB record in one pass, and a typical one in microseconds', () => {
    const check = recordCheck();
    const big = record();
    big.endpoints[0]!.request = {
      type: 'object',
      properties: Object.fromEntries(
        Array.from({ length: 40_000 }, (_, i) => [`f${i}`, { type: 'string' }]),
      ),
    };
    let start = performance.now();
    assert.match(problem(big), /larger than 1048576 characters/);
    assert.ok(performance.now() - start < 1000, 'a 1 MiB record is checked well within a second');
    start = performance.now();
    for (let i = 0; i < 10_000; i++) check.registration(record());
    assert.ok(performance.now() - start < 1000, '10,000 typical records within a second');
  });

  it('drops an invalid record read from an engine with one warning per problem', () => {
    const warnings: string[] = [];
    const check = recordCheck({ warn: (m) => warnings.push(m) });
    const bad = { ...record(), name: `${ESC}]0;pwned${ESC}\\` };
    assert.equal(check.accept(bad, 'etcd at 127.0.0.1:2379'), false);
    assert.equal(check.accept(bad, 'etcd at 127.0.0.1:2379'), false);
    assert.equal(check.accept(record(), 'etcd'), true);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /^dropped an invalid service record from etcd at 127\.0\.0\.1:2379: name /,
    );
    assert.equal(hasControls(warnings[0]!), false);
    assert.equal(check.acceptTtl(0, 'nats'), undefined);
    assert.equal(check.acceptTtl(500, 'nats'), 500);
  });
});

// Fuzzing registry records: to the checker, and to a real control plane's Registry.Register over
// the wire. A record is accepted (then readable, and printable by the CLI without a control
// character) or refused with a 400 naming a field; never a crash or a 500.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serviceText } from '../../src/commands/get.ts';
import { servicesTable } from '../../src/commands/list.ts';
import { json, table } from '../../src/commands/shared/output.ts';
import { printable } from '../../src/registry/printable.ts';
import type { Service } from '../../src/registry/registry.ts';
import { RegistryError, RegistryErrors } from '../../src/registry/registry.ts';
import { normalizeService } from '../../src/registry/util.ts';
import { recordCheck } from '../../src/registry/validate.ts';
import { postToRegistry, startTestControlPlane } from '../helpers/control-plane.ts';
import { fc, fuzzParams } from '../helpers/fuzz.ts';
import { serverForTests } from '../helpers/lifecycle.ts';
import { controls } from '../helpers/terminal.ts';

/** What a message naming the field at fault starts with. */
const FIELD =
  /^(name|version|metadata|endpoints|nodes|ttl|the service|the record|\[|[A-Za-z_][\w-]*\b)/;

// Valid records, as micro's services and the http broker register them.
const name = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,40}$/),
  fc.stringMatching(/^topic:[A-Za-z0-9_.:/@+=*#~-]{1,40}$/),
);
const text = fc.string({ unit: 'binary', maxLength: 40 });
const metadata = fc.dictionary(fc.stringMatching(/^[A-Za-z0-9_.:/@+=-]{1,20}$/), text, {
  maxKeys: 6,
});
const schema = fc.oneof(
  fc.constant(undefined),
  fc.record({
    type: fc.constantFrom('object', 'string'),
    properties: fc.dictionary(
      fc.string({ maxLength: 10 }),
      fc.record({ type: fc.constantFrom('string', 'number'), description: text }),
      { maxKeys: 4 },
    ),
    required: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
  }),
);
const endpoint = fc.record({
  name: fc.stringMatching(/^[A-Za-z0-9_.:/@+=*#~-]{1,30}$/),
  request: schema,
  response: schema,
  metadata,
});
const node = fc.record({
  id: fc.stringMatching(/^[A-Za-z0-9_.:/@+=*#~-]{1,40}$/),
  address: fc.oneof(
    fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `${h}:${p}`),
    fc.tuple(fc.ipV6(), fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `[${h}]:${p}`),
    fc.stringMatching(/^[a-z]+(\.[a-z0-9-]+){1,3}$/),
  ),
  metadata,
});
const valid: fc.Arbitrary<Service> = fc.record({
  name,
  version: fc.stringMatching(/^[A-Za-z0-9_.+:@=~-]{0,20}$/),
  metadata,
  endpoints: fc.array(endpoint, { maxLength: 4 }),
  nodes: fc.array(node, { minLength: 1, maxLength: 3 }),
});

/** Anything a field could be given instead: wrong types, control characters, huge or deep values. */
const junk = fc.oneof(
  { weight: 4, arbitrary: fc.anything({ maxDepth: 4 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('\u001b[2J', 'a\u0000b', '<script>', '../..', '\u009b1m', ''),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 200_000 }).map((n) => 'x'.repeat(n)) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 1_500 }).map((n) => {
      let v: unknown = {};
      for (let i = 0; i < n; i++) v = { a: [v] };
      return v;
    }),
  },
);

/** Where in a record a mutation lands. */
const paths: (string | number)[][] = [
  [],
  ['name'],
  ['version'],
  ['metadata'],
  ['metadata', 'x'],
  ['endpoints'],
  ['endpoints', 0],
  ['endpoints', 0, 'name'],
  ['endpoints', 0, 'metadata', 'path'],
  ['endpoints', 0, 'request'],
  ['endpoints', 0, 'request', 'properties'],
  ['nodes'],
  ['nodes', 0],
  ['nodes', 0, 'id'],
  ['nodes', 0, 'address'],
  ['nodes', 0, 'metadata'],
  ['nodes', 0, 'metadata', 'zone'],
  ['extra'],
];

/** The record with the value at path replaced (the whole record for the empty path). */
function mutate(record: Service, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(record) as unknown as Record<string | number, unknown>;
  let at: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    if (typeof next !== 'object' || next === null) at[key] = {};
    at = at[key] as Record<string | number, unknown>;
  }
  at[path.at(-1)!] = value;
  return copy;
}

const mutated = fc
  .tuple(valid, fc.constantFrom(...paths), junk)
  .map(([record, path, value]) => mutate(record, path, value));

const ttl = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: 1, max: 86_400_000 }),
  fc.constantFrom(0, -1, 86_400_001, Number.NaN, Infinity, 1e308, 0.5),
  fc.anything({ maxDepth: 1 }),
);

/** What the CLI prints for a service: list, get, a table row, JSON. */
function printed(services: Service[]): string {
  return [
    printable(servicesTable(services)),
    printable(serviceText(services)),
    table(['NAME'], [[services[0]?.name ?? '']]),
    json(services),
  ].join('\n');
}

describe('fuzz: registry records, in process', () => {
  const check = recordCheck({ warn: () => undefined });

  it('accepts every valid record, and it prints without a control character', () => {
    fc.assert(
      fc.property(valid, (s) => {
        assert.ok(check.registration(s, { ttl: 30_000 }) === 30_000);
        assert.deepEqual(controls(printed([s])), []);
      }),
      fuzzParams(300, 4000),
    );
  });

  it('refuses anything else with MICRO_ERR_REGISTRY_INVALID naming a field, never a crash', () => {
    fc.assert(
      fc.property(fc.oneof(mutated, fc.anything({ maxDepth: 6 })), ttl, (s, t) => {
        let lease: number | undefined;
        try {
          lease = check.registration(s as Service, { ttl: t as number });
        } catch (err) {
          assert.ok(err instanceof RegistryError, `not a RegistryError: ${String(err)}`);
          assert.equal(err.code, RegistryErrors.invalid);
          assert.match(err.message, FIELD);
          assert.ok(err.message.length < 600, 'a short message');
          assert.deepEqual(controls(err.message), []);
          return;
        }
        assert.ok(lease > 0 && lease <= 86_400_000);
        assert.deepEqual(controls(printed([normalizeService(s as Service)])), []);
        // What a registry's reader accepts is what a writer may register.
        assert.equal(check.accept(s, 'fuzz'), true);
      }),
      fuzzParams(500, 6000),
    );
  });
});

describe('fuzz: Registry.Register on a real control plane', () => {
  const address = serverForTests(() => startTestControlPlane('micro-fuzz-registry-'));

  const post = async (endpoint: string, body: unknown) => {
    const res = await postToRegistry(address(), endpoint, JSON.stringify(body) ?? 'null');
    return { status: res.status, body: await res.json() };
  };

  it('answers 200 (then the record reads back and prints cleanly) or a 400 naming a field', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 1, arbitrary: valid }, { weight: 3, arbitrary: mutated }),
        ttl,
        async (s, t) => {
          const sent = JSON.parse(JSON.stringify({ service: s, ttl: t }) ?? 'null') as {
            service: Service;
          };
          const r = await post('Registry.Register', sent);
          if (r.status === 400) {
            const e = r.body as { id: string; code: number; detail: string; status: string };
            assert.deepEqual(Object.keys(e).sort(), ['code', 'detail', 'id', 'status']);
            assert.equal(e.code, 400);
            assert.match(e.detail, /\S/);
            return;
          }
          assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
          // A lease of a few milliseconds may be over before the read: nothing to read then.
          if (typeof t === 'number' && t < 5000) return;
          const found = await post('Registry.GetService', { name: sent.service.name });
          assert.equal(found.status, 200);
          const versions = (found.body as { services: Service[] }).services;
          assert.ok(
            versions.some((v) =>
              v.nodes.some((n) => sent.service.nodes.some((m) => m.id === n.id)),
            ),
            'readable after it was accepted',
          );
          assert.deepEqual(controls(printed(versions)), []);
          const gone = await post('Registry.Deregister', { service: sent.service });
          assert.equal(gone.status, 200);
        },
      ),
      fuzzParams(60, 10_000),
    );
  });

  it('accepts every valid record', async () => {
    await fc.assert(
      fc.asyncProperty(valid, async (s) => {
        const r = await post('Registry.Register', { service: s, ttl: 60_000 });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal((await post('Registry.Deregister', { service: s })).status, 200);
      }),
      fuzzParams(30, 6000),
    );
  });
});

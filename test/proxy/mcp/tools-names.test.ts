import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTools } from '../../../src/proxy/mcp/tools.ts';
import { nameSchema, record } from '../../helpers/fixtures.ts';

const hello = { name: 'Say.Hello', request: nameSchema, metadata: {} };
const names = (list: { tools: readonly { name: string }[] }): string[] =>
  list.tools.map((t) => t.name);

describe('MCP tool names', () => {
  it('names tools safely on request: unique, [A-Za-z0-9_-]{1,64}, found in either form', () => {
    const long = `${'x'.repeat(50)}.Handler.Method`;
    const services = [
      record('greeter', { endpoints: [hello] }),
      record('a.b', { endpoints: [{ name: 'C.D', metadata: {} }] }),
      record('a_b', { endpoints: [{ name: 'C.D', metadata: {} }] }),
      record('long', { endpoints: [{ name: long, metadata: {} }] }),
      record('odd', { endpoints: [{ name: 'Say.Hé llo', metadata: {} }] }),
    ];
    const list = buildTools(services, { names: 'safe' });
    const got = names(list);
    assert.equal(got.length, 5);
    assert.equal(new Set(got).size, 5, 'names are unique');
    for (const n of got) assert.match(n, /^[A-Za-z0-9_-]{1,64}$/);
    assert.ok(got.includes('greeter_Say_Hello'));
    assert.equal(list.find('greeter.Say.Hello')?.name, 'greeter_Say_Hello');
    // The colliding pair: both are there, each found by its own dotted name.
    assert.equal(list.find('a.b.C.D')?.service, 'a.b');
    assert.equal(list.find('a_b.C.D')?.service, 'a_b');
    assert.notEqual(list.find('a.b.C.D')?.name, list.find('a_b.C.D')?.name);
    // Round trip: every listed name finds its own tool.
    for (const t of list.tools) assert.equal(list.find(t.name), t);
    // The same registry gives the same names.
    assert.deepEqual(names(buildTools([...services].reverse(), { names: 'safe' })), got);
  });

  it('keeps dotted names within 128 characters of [A-Za-z0-9_.-]', () => {
    const list = buildTools([
      record('long', { endpoints: [{ name: `${'y'.repeat(140)}.M`, metadata: {} }] }),
      record('odd', { endpoints: [{ name: 'Say.Hé llo', metadata: {} }] }),
    ]);
    for (const t of list.tools) {
      assert.match(t.name, /^[A-Za-z0-9_.-]{1,128}$/);
      assert.equal(list.find(t.name), t);
    }
    assert.equal(list.find('odd.Say.H__llo')?.endpoint, 'Say.Hé llo');
  });

  it('keeps names unique and found in both forms over many odd registries (seeded, bounded)', () => {
    let seed = 7;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const pieces = ['a', 'a.b', 'a_b', 'A', 'é', ' ', '-', 'x'.repeat(70), 'Say', 'Hello', '.'];
    const word = (): string =>
      Array.from({ length: 1 + rand(3) }, () => pieces[rand(pieces.length)]).join('');
    for (let round = 0; round < 200; round++) {
      const services = Array.from({ length: 1 + rand(5) }, (_, i) =>
        record(`${word()}${i % 2 ? '' : '.x'}`.replace(/^[.-]/, 's'), {
          version: `1.${rand(3)}.0`,
          endpoints: Array.from({ length: rand(4) }, () => ({
            name: `${word()}.${word()}`,
            metadata: {},
          })),
        }),
      );
      for (const form of ['dotted', 'safe'] as const) {
        const list = buildTools(services, { names: form, allow: ['*'] });
        const got = list.tools.map((t) => t.name);
        assert.equal(new Set(got).size, got.length, 'unique');
        for (const t of list.tools) {
          assert.match(
            t.name,
            form === 'safe' ? /^[A-Za-z0-9_-]{1,64}$/ : /^[A-Za-z0-9_.-]{1,128}$/,
          );
          assert.equal(list.find(t.name), t);
        }
      }
      // The same registry gives the same tools in either form, each found by the other's names.
      const dotted = buildTools(services, { allow: ['*'] });
      const safe = buildTools(services, { names: 'safe', allow: ['*'] });
      assert.equal(dotted.tools.length, safe.tools.length);
      for (const t of safe.tools) {
        const twin = dotted.tools.find((d) => d.service === t.service && d.endpoint === t.endpoint);
        assert.ok(twin);
        // A dotted name (it has a dot, a safe one never does) finds its tool in a safe list.
        assert.equal(safe.find(twin.name), t);
      }
    }
  });
});

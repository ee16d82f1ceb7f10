// The explorer's App with a thousand services (fake terminal, in-memory registry): the list in
// natural order, filtering it, and a burst of changes ending with the right rows and count.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import { createElement as h } from 'react';
import type { Service as ServiceRecord } from '../../src/registry/registry.ts';
import { createClient, createMemoryRegistry, type Client } from '../../src/runtime/index.ts';
import { App } from '../../src/ui/tui/App.ts';
import { record } from '../helpers/fixtures.ts';
import { frameWith, keys } from '../helpers/ink.ts';

process.env.COLUMNS = '100';
process.env.LINES = '30';

/** Service svc-n at version, with two nodes and five endpoints. */
const svc = (n: number, version = '1.0.0'): ServiceRecord =>
  record(`svc-${n}`, {
    version,
    endpoints: ['A', 'B', 'C', 'D', 'E'].map((e) => ({ name: `Say.${e}`, metadata: {} })),
    nodes: [0, 1].map((i) => ({
      id: `svc-${n}-${version}-${i}`,
      address: `127.0.0.1:${3000 + i}`,
      metadata: {},
    })),
  });

/** The service names of the list's rows in a frame, top to bottom. */
const rows = (frame: string): string[] =>
  frame
    .split('\n')
    .map((line) => /^[ ›] (svc-\d+) /.exec(line)?.[1])
    .filter((name) => name !== undefined);

describe('micro explore with 1,000 services (App, fake terminal)', () => {
  const registry = createMemoryRegistry();
  let client: Client;
  before(async () => {
    // Registered out of order: 1, 1000, 2, 999, ...
    for (let i = 0; i < 500; i++) {
      await registry.register(svc(i + 1));
      await registry.register(svc(1000 - i));
    }
    client = createClient({ registry });
  });
  after(async () => {
    await client.close();
    await registry.close();
  });

  it('lists them in natural order, filters them, and shows a burst of changes once applied', async () => {
    const view = render(h(App, { registry, client }));
    try {
      let frame = await frameWith(view, 'SERVICES (1000)');
      const first = rows(frame);
      assert.ok(first.length >= 20, `a screenful of rows:\n${frame}`);
      assert.deepEqual(
        first,
        first.map((_, i) => `svc-${i + 1}`),
        'svc-1, svc-2, ... svc-9, svc-10: numbers in names count as numbers',
      );
      assert.match(frame, /› svc-1\s+1\.0\.0\s+2\s+5/);

      view.stdin.write('/');
      await frameWith(view, 'filter /');
      view.stdin.write('svc-99');
      frame = await frameWith(view, 'SERVICES (11 of 1000)');
      assert.deepEqual(rows(frame), [
        'svc-99',
        ...Array.from({ length: 10 }, (_, i) => `svc-${990 + i}`),
      ]);
      view.stdin.write(keys.escape);
      await frameWith(view, (f) => f.includes('SERVICES (1000)') && !f.includes('filter /'));

      // One burst: 300 services go, 150 come, 50 get a second version.
      const changes: Promise<void>[] = [];
      for (let n = 1; n <= 300; n++) changes.push(registry.deregister(svc(n)));
      for (let n = 1001; n <= 1150; n++) changes.push(registry.register(svc(n)));
      for (let n = 301; n <= 350; n++) changes.push(registry.register(svc(n, '2.0.0')));
      await Promise.all(changes);
      frame = await frameWith(view, 'SERVICES (850)');
      assert.equal(rows(frame)[0], 'svc-301');
      assert.match(frame, /› svc-301\s+1\.0\.0, 2\.0\.0\s+4\s+5/);
      assert.ok(!rows(frame).includes('svc-300'), 'a deregistered service is gone');

      // The newest are at the end, in order.
      view.stdin.write('j'.repeat(900));
      frame = await frameWith(view, '› svc-1150');
      const last = rows(frame);
      assert.deepEqual(
        last,
        last.map((_, i) => `svc-${1150 - last.length + 1 + i}`),
      );
    } finally {
      view.unmount();
    }
  });
});

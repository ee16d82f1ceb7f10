import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createCatalog } from '../../src/proxy/catalog.ts';
import type { Registry } from '../../src/registry/registry.ts';
import { createMemoryRegistry } from '../../src/runtime/index.ts';
import { record } from '../helpers/fixtures.ts';

describe("the gateway's catalog", () => {
  const registry = createMemoryRegistry();
  after(() => registry.close());

  it('changes nothing when a re-read finds the registry unchanged, and follows real changes', async () => {
    await registry.register(record('alpha', { endpoints: [{ name: 'A.B', metadata: {} }] }));
    await registry.register(record('beta'));
    // The registry as the catalog sees it, telling when its nth full read has been asked for.
    let reads = 0;
    const waiting: { n: number; resolve: () => void }[] = [];
    const counted: Registry = Object.create(registry) as Registry;
    counted.listServices = (...args) => {
      reads++;
      for (const w of waiting.filter((x) => x.n <= reads)) w.resolve();
      return registry.listServices(...args);
    };
    const read = (n: number) =>
      new Promise<void>((resolve) => {
        if (reads >= n) resolve();
        else waiting.push({ n, resolve });
      });
    const catalog = createCatalog({ registry: counted, refresh: 10 });
    try {
      await catalog.ready;
      const generation = catalog.generation;
      const alpha = catalog.get('alpha')?.[0];
      assert.ok(alpha);
      // The third read starts after the second is done: two re-reads of the same registry.
      await read(3);
      assert.equal(catalog.generation, generation, 'no change seen');
      assert.equal(catalog.get('alpha')?.[0], alpha, 'the record held is the same object');

      await registry.register(record('alpha', { endpoints: [] }));
      const changed = read(reads + 2);
      await changed;
      assert.ok(catalog.generation > generation);
      assert.deepEqual(catalog.get('alpha')?.[0]?.endpoints, []);
      await registry.deregister(record('beta'));
      await read(reads + 2);
      assert.equal(catalog.get('beta'), undefined);
      assert.deepEqual(
        catalog
          .all()
          .map((s) => s.name)
          .sort(),
        ['alpha'],
      );
    } finally {
      catalog.close();
    }
  });
});

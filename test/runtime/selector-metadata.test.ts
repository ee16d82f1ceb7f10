import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Endpoint } from '../../src/registry/registry.ts';
import { createMemoryRegistry, createSelector } from '../../src/runtime/index.ts';
import { record } from '../helpers/fixtures.ts';

describe('selector endpointMetadata', () => {
  it('tells what every cached version of the service says of the endpoint', async () => {
    const registry = createMemoryRegistry();
    const get = (idempotent: boolean): Endpoint => ({
      name: 'Store.Get',
      metadata: idempotent ? { idempotent: 'true', team: 'a' } : { team: 'a' },
    });
    await registry.register(record('store', { version: '1', endpoints: [get(true)] }));
    const selector = createSelector({ registry });
    try {
      assert.equal(selector.endpointMetadata?.('store', 'Store.Get'), undefined, 'not cached yet');
      await selector.select('store');
      assert.deepEqual(selector.endpointMetadata?.('store', 'Store.Get'), {
        idempotent: 'true',
        team: 'a',
      });
      assert.equal(selector.endpointMetadata?.('store', 'Store.Put'), undefined);
      // A second version that does not say it is idempotent: then it is not.
      await registry.register(
        record('store', { version: '2', node: 'store-2', endpoints: [get(false)] }),
      );
      selector.reset('store');
      await selector.select('store');
      assert.deepEqual(selector.endpointMetadata?.('store', 'Store.Get'), { team: 'a' });
    } finally {
      selector.close();
      await registry.close();
    }
  });
});

// The default selector and the control plane monitor's mark (`micro-health: unhealthy`): marked
// nodes are skipped while another node of the service is left, in any version, and used when
// they are all that is left.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryRegistry } from '../../src/registry/memory.ts';
import { createSelector, roundRobin } from '../../src/runtime/selector/index.ts';
import { record } from '../helpers/fixtures.ts';

const node = (id: string, unhealthy = false) => ({
  id,
  address: `127.0.0.1:${1000 + id.length}`,
  metadata: (unhealthy ? { 'micro-health': 'unhealthy' } : {}) as Record<string, string>,
});

/** The node ids 12 selections give. */
async function picks(nodesByVersion: Record<string, ReturnType<typeof node>[]>) {
  const registry = createMemoryRegistry();
  for (const [version, nodes] of Object.entries(nodesByVersion))
    await registry.register(record('greeter', { version, nodes }));
  const selector = createSelector({ registry, strategy: roundRobin });
  try {
    const next = await selector.select('greeter');
    return new Set(Array.from({ length: 12 }, () => next().id));
  } finally {
    selector.close();
    await registry.close();
  }
}

describe('selector and unhealthy nodes', () => {
  it('skips a marked node while another is left', async () => {
    assert.deepEqual(await picks({ '1': [node('a'), node('b', true)] }), new Set(['a']));
  });

  it('skips a version whose nodes are all marked when another version has a healthy one', async () => {
    assert.deepEqual(await picks({ '1': [node('a', true)], '2': [node('bb')] }), new Set(['bb']));
  });

  it('uses marked nodes when they are all that is left', async () => {
    assert.deepEqual(await picks({ '1': [node('a', true), node('b', true)] }), new Set(['a', 'b']));
  });
});

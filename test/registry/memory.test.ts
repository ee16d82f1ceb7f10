import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { createMemoryRegistry } from '../../src/registry/memory.ts';
import { runRegistryCases } from '../conformance/registry.case.ts';
import { record } from '../helpers/fixtures.ts';

runRegistryCases('memory', (o) => createMemoryRegistry({ sweepInterval: 50, ...o }), {
  settle: 500,
});

describe('memory registry leases', () => {
  it('keeps leases when the wall clock steps forward (as NTP does on a fresh machine)', async () => {
    const registry = createMemoryRegistry({ sweepInterval: 10 });
    try {
      await registry.register(record('stepped'), { ttl: 30_000 });
      mock.timers.enable({ apis: ['Date'], now: Date.now() + 3_600_000 });
      try {
        const [s] = await registry.getService('stepped');
        assert.equal(s?.nodes.length, 1, 'an hour of wall clock is not an hour of lease');
      } finally {
        mock.timers.reset();
      }
    } finally {
      await registry.close();
    }
  });
});

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { syncOver } from '../../../src/platform/sync/lease.ts';
import { memoryTable } from '../../../src/platform/sync/memory.ts';
import type { SyncOps } from '../../../src/platform/sync/ops.ts';

/**
 * A memory table whose renewals and campaigns stop being answered once `cut()` is called, as when
 * the engine becomes unreachable; it notes when the engine last granted each lease.
 */
function unreachable(): { ops: SyncOps; cut(): void; lastGrant: number } {
  const table = memoryTable();
  const state = { cut: false, lastGrant: 0 };
  const hang = new Promise<never>(() => {});
  const granted = <T>(p: Promise<T>): Promise<T> =>
    state.cut ? hang : p.then((v) => ((state.lastGrant = Date.now()), v));
  return {
    ops: {
      ...table,
      lock: (req) => granted(table.lock(req)),
      renew: (req) => granted(table.renew(req)),
      campaign: (req) => granted(table.campaign(req)),
    },
    cut: () => (state.cut = true),
    get lastGrant() {
      return state.lastGrant;
    },
  };
}

describe('a holder cut off from its engine', () => {
  it('aborts lock.signal before the lease it was last granted lapses', async () => {
    const engine = unreachable();
    const sync = syncOver(engine.ops, { name: 'test', address: 'test', id: 'a' });
    const lock = await sync.lock('job', { ttl: 1000 });
    engine.cut();
    await once(lock.signal, 'abort');
    assert.ok(Date.now() < engine.lastGrant + 1000, 'gave up before the engine could free it');
    assert.match(String((lock.signal.reason as Error).message), /lost: no renewal answered/);
    await sync.close();
  });

  it('calls onDeposed before the leadership it was last granted lapses', async () => {
    const engine = unreachable();
    const sync = syncOver(engine.ops, { name: 'test', address: 'test', id: 'a' });
    let deposedAt = 0;
    const deposed = new Promise<void>((resolve) => {
      void sync.elect('lead', {
        ttl: 1000,
        onDeposed: () => {
          deposedAt = Date.now();
          resolve();
        },
      });
    });
    // Leading from its first campaign; then the engine stops answering.
    await new Promise((r) => setImmediate(r));
    engine.cut();
    await deposed;
    assert.ok(deposedAt < engine.lastGrant + 1000, 'deposed before the engine could elect another');
    await sync.close();
  });
});

// The dashboard's view of the registry, over the control plane's watch: changes only, and back in
// step after the control plane restarts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startControlPlane } from '../../../src/controlplane/index.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import type { RegistryService } from '../../../src/runtime/index.ts';
import { createFeed, type FeedEvent } from '../../../src/ui/web/feed.ts';
import { quiet, record } from '../../helpers/fixtures.ts';
import { freePort } from '../../helpers/net.ts';

/** A record of the service with a node of each id. */
const service = (name: string, ...ids: string[]): RegistryService =>
  record(name, { nodes: ids.map((id) => ({ id, address: '127.0.0.1:1', metadata: {} })) });

/** Collects a feed's events and waits for one that matches. */
function recorder(feed: ReturnType<typeof createFeed>) {
  const seen: FeedEvent[] = [];
  const waiters: (() => void)[] = [];
  feed.subscribe((e) => {
    seen.push(e);
    for (const w of waiters.splice(0)) w();
  });
  return {
    seen,
    async until(match: (e: FeedEvent) => boolean, ms = 8000): Promise<FeedEvent> {
      const deadline = Date.now() + ms;
      for (;;) {
        const hit = seen.find(match);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no such event; saw ${JSON.stringify(seen)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    },
  };
}

describe('the dashboard feed', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'micro-feed-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('reports changes once, ignores renewals, and follows the control plane through a restart', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    let plane = await startControlPlane({ address, dataDir, logger: quiet });
    const registry = createMicroRegistry({ address, timeout: 1000 });
    const feed = createFeed({ registry });
    const events = recorder(feed);
    try {
      await feed.ready;
      assert.ok(feed.get('registry'), 'the first read holds what was registered before');

      await registry.register(service('a', 'a-1'), { ttl: 60_000 });
      await events.until((e) => e.service.name === 'a' && e.action === 'create');
      await registry.register(service('a', 'a-1'), { ttl: 60_000 }); // a lease renewal
      await registry.register(service('a', 'a-2'), { ttl: 60_000 });
      const grown = await events.until((e) => e.service.name === 'a' && e.action === 'update');
      assert.deepEqual(
        grown.service.nodes.map((n) => n.id),
        ['a-1', 'a-2'],
      );
      assert.equal(
        events.seen.filter((e) => e.service.name === 'a').length,
        2,
        'the renewal changed nothing, so it is not an event',
      );
      assert.deepEqual(
        feed.get('a')?.map((s) => s.nodes.length),
        [2],
      );
      assert.deepEqual(feed.summary('a'), {
        name: 'a',
        versions: ['1.0.0'],
        nodes: 2,
        endpoints: 0,
        web: false,
      });

      await plane.stop();
      plane = await startControlPlane({ address, dataDir, logger: quiet });
      // The watch broke; once it is back, changes flow again and what was missed is caught up.
      await registry.register(service('b', 'b-1'), { ttl: 60_000 });
      await events.until((e) => e.service.name === 'b' && e.action === 'create', 15_000);
      await registry.deregister(service('a', 'a-1', 'a-2'));
      await events.until((e) => e.service.name === 'a' && e.action === 'delete');
      assert.equal(feed.get('a'), undefined);
      assert.equal(feed.summary('a'), undefined, 'its summary went with it');
      assert.ok(feed.summaries().some((s) => s.name === 'b'));
      assert.ok(feed.recent().length >= 4);
      assert.deepEqual(
        feed.recent().map((e) => e.id),
        [...feed.recent().map((e) => e.id)].sort((x, y) => x - y),
        'ids increase',
      );
    } finally {
      feed.close();
      await registry.deregister(service('b', 'b-1')).catch(() => undefined);
      await registry.close();
      await plane.stop();
    }
  });
});

// Issue 17 point 2 with a real control plane: a service registered and deregistered, a config
// set, a lock taken and released are each an event on their `micro.*` topic, read back with the
// events client and with `micro events replay`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMicroConfig } from '../../src/platform/config/client.ts';
import { createMicroEvents } from '../../src/platform/events/client.ts';
import type { Delivery, EventSubscription } from '../../src/platform/events/events.ts';
import { createMicroSync } from '../../src/platform/sync/client.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { micro } from '../helpers/cli.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { record } from '../helpers/fixtures.ts';
import { serverForTests } from '../helpers/lifecycle.ts';

const address = serverForTests(() => startTestControlPlane('micro-platform-events-'));

/** The next `count` events of a subscription, as their data. */
async function next(sub: EventSubscription, count: number): Promise<Record<string, unknown>[]> {
  const got: Delivery[] = [];
  for await (const d of sub) if (got.push(d) >= count) break;
  return got.map((d) => d.data as Record<string, unknown>);
}

describe('platform events from a real control plane', () => {
  it('announces registry, config and sync changes on micro.* topics', async () => {
    const events = createMicroEvents({ address: address() });
    const registry = createMicroRegistry({ address: address() });
    const config = createMicroConfig({ address: address(), author: 'alice' });
    const sync = createMicroSync({ address: address(), id: 'worker-1' });
    try {
      const [nodes, versions, locks] = await Promise.all(
        ['micro.registry', 'micro.config', 'micro.sync'].map((t) => events.subscribe(t)),
      );
      const greeter = record('greeter', { node: 'greeter-1', address: '127.0.0.1:4321' });
      await registry.register(greeter, { ttl: 60_000 });
      await registry.deregister(greeter);
      await config.set('db.pool.max', 20, { namespace: 'billing' });
      const lock = await sync.lock('jobs');
      await lock.unlock();

      assert.deepEqual(await next(nodes!, 2), [
        {
          action: 'register',
          service: 'greeter',
          version: '1.0.0',
          node: 'greeter-1',
          address: '127.0.0.1:4321',
          summary: 'greeter 1.0.0 node greeter-1 up at 127.0.0.1:4321',
        },
        {
          action: 'deregister',
          service: 'greeter',
          version: '1.0.0',
          node: 'greeter-1',
          address: '127.0.0.1:4321',
          summary: 'greeter 1.0.0 node greeter-1 at 127.0.0.1:4321 deregistered',
        },
      ]);
      const [set] = await next(versions!, 1);
      assert.equal(set?.action, 'set');
      assert.equal(set?.namespace, 'billing');
      assert.equal(set?.path, 'db.pool.max');
      assert.equal(set?.author, 'alice');
      assert.deepEqual(
        (await next(locks!, 2)).map((e) => [e.action, e.name, e.holder]),
        [
          ['lock', 'jobs', 'worker-1'],
          ['unlock', 'jobs', 'worker-1'],
        ],
      );
      for (const s of [nodes, versions, locks]) await s?.stop();

      // The same history, replayed from the command line.
      const run = await micro([
        'events',
        'replay',
        'micro.registry',
        '--registry-address',
        address(),
        '-o',
        'json',
      ]);
      assert.equal(run.code, 0, run.stderr);
      const all = (JSON.parse(run.stdout) as { data: { action: string; service: string } }[]).map(
        (e) => e.data,
      );
      // The control plane's own services came up before its events did; they are announced too.
      assert.deepEqual(
        all
          .filter((d) => d.action === 'register' && d.service !== 'greeter')
          .map((d) => d.service)
          .sort(),
        [
          'audit',
          'auth',
          'config',
          'db',
          'events',
          'logs',
          'metrics',
          'monitor',
          'registry',
          'store',
          'sync',
          'trace',
        ],
      );
      const replayed = all.filter((d) => d.service === 'greeter');
      assert.deepEqual(
        replayed.map((d) => d.action),
        ['register', 'deregister'],
      );

      // Only the control plane publishes there.
      await assert.rejects(events.publish('micro.registry', { action: 'register' }), {
        code: 403,
      });
    } finally {
      await sync.close();
      await config.close();
      await registry.close();
      await events.close();
    }
  });
});

// A control plane SIGKILLed and started again leaves its old `events` node registered until its
// lease ends, at an address where nothing listens any more. A new subscriber or publisher that
// picks such a node must not fail: its first subscribe, and its publishes, try again (within the
// client's timeout) until they reach the live node.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createMicroEvents } from '../../../src/platform/events/client.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import type { Registry } from '../../../src/registry/registry.ts';
import { closedAddress } from '../../helpers/cli.ts';
import { startTestControlPlane } from '../../helpers/control-plane.ts';
import type { RunningServer } from '../../helpers/server-process.ts';

let cp: RunningServer;
let registry: Registry;

before(async () => {
  cp = await startTestControlPlane('micro-events-stale-');
  registry = createMicroRegistry({ address: cp.address });
  // Stale nodes of the events service, as SIGKILLed control planes leave them: two of the three
  // nodes, so that a new client picks one at its first call more often than not.
  const [live] = await registry.getService('events');
  assert.ok(live, 'the control plane registers its events service');
  const stale = await Promise.all(
    Array.from({ length: 2 }, async (_, i) => ({
      id: `events-stale-${i}`,
      address: await closedAddress(),
      metadata: live.nodes[0]!.metadata,
    })),
  );
  await registry.register({ ...live, nodes: stale }, { ttl: 120_000 });
  const [listed] = await registry.getService('events');
  assert.equal(listed?.nodes.length, 3);
});

after(async () => {
  await registry?.close();
  await cp?.stop();
});

it('subscribes and publishes at the first try though stale nodes refuse connections', async () => {
  for (let round = 0; round < 5; round++) {
    // A new client each round: nothing learnt about the stale nodes yet.
    const events = createMicroEvents({ address: cp.address, timeout: 10_000 });
    try {
      const topic = `stale.r${round}`;
      const sub = await events.subscribe(topic, { group: 'g', start: 'earliest' });
      const published = await Promise.all(
        [1, 2, 3].map((n) => events.publish(topic, { n, round })),
      );
      assert.deepEqual(
        published.map((p) => p.offset),
        [1, 2, 3],
      );
      const got: unknown[] = [];
      for await (const d of sub) {
        got.push(d.data);
        await d.ack();
        if (got.length === 3) break;
      }
      assert.deepEqual(
        got,
        [1, 2, 3].map((n) => ({ n, round })),
      );
    } finally {
      await events.close();
    }
  }
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '../../../src/controlplane/index.ts';
import { createMicroEvents } from '../../../src/platform/events/client.ts';
import type { Delivery, EventSubscription } from '../../../src/platform/events/events.ts';
import { createService } from '../../../src/platform/service.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { runEventsCases } from '../../conformance/events.case.ts';
import { closedAddress } from '../../helpers/cli.ts';
import { quiet } from '../../helpers/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'micro-events-cp-'));
let cp: ControlPlane;
before(async () => {
  cp = await startControlPlane({ address: '127.0.0.1:0', dataDir: dir, logger: quiet });
});
after(async () => {
  await cp.stop();
  rmSync(dir, { recursive: true, force: true });
});

runEventsCases('micro (the control plane, SQLite)', () =>
  createMicroEvents({ address: cp.address }),
);

/** POSTs a raw request to the events service's node, as any HTTP client could. */
async function post(endpoint: string, body: string, from?: string) {
  const registry = createMicroRegistry({ address: cp.address });
  const [service] = await registry.getService('events');
  await registry.close();
  const res = await fetch(`http://${service!.nodes[0]!.address}/`, {
    method: 'POST',
    headers: {
      'micro-service': 'events',
      'micro-endpoint': `Events.${endpoint}`,
      'content-type': 'application/json',
      ...(from && { 'micro-from-service': from }),
    },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The next `n` deliveries, iterating without ending the subscription. */
function reader(sub: EventSubscription) {
  const it = sub[Symbol.asyncIterator]();
  return async (n: number): Promise<Delivery[]> => {
    const out: Delivery[] = [];
    while (out.length < n) {
      const r = await it.next();
      if (r.done) break;
      out.push(r.value);
    }
    return out;
  };
}

describe('events service', () => {
  it('refuses unknown fields, platform topics and bad values with the error shape, storing nothing', async () => {
    const unknown = await post('Publish', '{"topic":"raw","data":1,"dta":2}');
    assert.equal(unknown.status, 400);
    assert.match(
      unknown.body.detail as string,
      /dta is not a field of a Events\.Publish request; it takes topic, data, key and metadata/,
    );
    const missing = await post('Publish', '{"topic":"raw"}');
    assert.match(missing.body.detail as string, /a Events\.Publish request needs data/);
    for (const [endpoint, body] of [
      ['Publish', '{"topic":"micro.registry","data":{"action":"register"}}'],
      ['PublishMany', '{"topic":"micro.config","events":[{"data":1}]}'],
    ] as const) {
      const r = await post(endpoint, body);
      assert.equal(r.status, 403, `${endpoint}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.id, 'events');
      assert.match(r.body.detail as string, /under micro\. are the platform's own/);
    }
    const bad: [string, string, RegExp][] = [
      ['Publish', '{"topic":"a b","data":1}', /topic/],
      ['Publish', '{"topic":"raw","data":1,"key":""}', /key/],
      ['Publish', '{"topic":"raw","data":1,"metadata":{"a":5}}', /metadata/],
      ['Ack', '{"topic":"raw","group":"g","offsets":"12"}', /offsets/],
      ['Read', '{"topic":"raw","limit":5000}', /limit/],
    ];
    for (const [endpoint, body, detail] of bad) {
      const r = await post(endpoint, body);
      assert.equal(r.status, 400, `${endpoint} ${body}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.id, 'events');
      assert.match(r.body.detail as string, detail);
    }
    const events = createMicroEvents({ address: cp.address });
    await assert.rejects(
      events.subscribe('raw', { group: 'g', deadLetter: 'micro.dead' }),
      (err: { code: number; detail: string }) => err.code === 403 && /deadLetter/.test(err.detail),
    );
    await events.close();
    const read = await post('Read', '{"topic":"raw"}');
    assert.deepEqual(read.body.events, []);
  });

  it('stamps micro-from with the calling service, whatever the caller says', async () => {
    const r = await post(
      'Publish',
      '{"topic":"stamped","data":{"n":1},"metadata":{"micro-from":"forged","trace":"t1"}}',
      'billing',
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const events = createMicroEvents({ address: cp.address, from: 'shipping' });
    try {
      await events.publish('stamped', 2);
      const page = await events.read('stamped');
      assert.deepEqual(
        page.events.map((e) => e.metadata),
        [{ 'micro-from': 'billing', trace: 't1' }, { 'micro-from': 'shipping' }],
      );
    } finally {
      await events.close();
    }
  });

  it('batches concurrent publishes, each caller with its own result and its own error', async () => {
    const events = createMicroEvents({ address: cp.address });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          events.publish('batched', { i }, i === 7 ? { key: '' } : { key: `k${i % 40}` }),
        ),
      );
      assert.equal(results[7]!.status, 'rejected');
      const fine = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
      assert.equal(fine.length, 49);
      // Keys k0..k9 were given twice (k7's first was refused): the second is the first's duplicate.
      assert.equal(fine.filter((p) => p.duplicate).length, 9);
      const page = await events.read('batched', { limit: 1000 });
      assert.equal(page.events.length, 40);
      // Published and closed in the same turn: sent, and answered, before the close resolves.
      const other = createMicroEvents({ address: cp.address });
      const last = other.publish('batched', 'last');
      await other.close();
      assert.equal((await last).offset, 41);
    } finally {
      await events.close();
    }
  });

  it('keeps no more than maxInFlight unacknowledged with a member, and moves on as it acks', async () => {
    const events = createMicroEvents({ address: cp.address });
    try {
      const sub = await events.subscribe('flow', { group: 'slow', maxInFlight: 3 });
      const next = reader(sub);
      await events.publishMany(
        'flow',
        Array.from({ length: 10 }, (_, i) => ({ data: i })),
      );
      const first = await next(3);
      assert.deepEqual(
        first.map((d) => d.data),
        [0, 1, 2],
      );
      const [group] = await events.groups('flow');
      assert.equal(group?.pending, 3);
      await Promise.all(first.map((d) => d.ack()));
      const second = await next(3);
      assert.deepEqual(
        second.map((d) => d.data),
        [3, 4, 5],
      );
      await sub.stop();
    } finally {
      await events.close();
    }
  });

  it('retries an ack across a restart of the control plane, and does not redeliver what was handled', async () => {
    const other = mkdtempSync(join(tmpdir(), 'micro-events-restart-'));
    const address = await closedAddress();
    let plane = await startControlPlane({ address, dataDir: other, logger: quiet });
    const events = createMicroEvents({ address, timeout: 2000 });
    try {
      const sub = await events.subscribe('restart', { group: 'g', ackTimeout: 500 });
      const next = reader(sub);
      await events.publish('restart', 'handled');
      const [handled] = await next(1);
      assert.equal(handled?.data, 'handled');
      await plane.stop();
      const acked = handled.ack();
      plane = await startControlPlane({ address, dataDir: other, logger: quiet });
      await acked;
      // The subscription comes back by itself: publish until it delivers something.
      const seen: unknown[] = [];
      const collecting = (async () => {
        for (let d = await next(1); d.length > 0; d = await next(1)) {
          seen.push(d[0]!.data);
          await d[0]!.ack();
        }
      })();
      let last = 0;
      for (let i = 0; seen.length === 0 && i < 100; i++) {
        last = (await events.publish('restart', `after ${i}`).catch(() => ({ offset: last })))
          .offset;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(String(seen[0]), /^after \d+$/);
      // Every event is settled once the one handled before the restart is (at its redelivery,
      // ackTimeout after the restart): it was acknowledged there, never handed out again.
      let group = (await events.groups('restart'))[0];
      for (let i = 0; group?.position !== last && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 50));
        group = (await events.groups('restart'))[0];
      }
      assert.equal(group?.position, last);
      assert.ok(!seen.includes('handled'), JSON.stringify(seen));
      await sub.stop();
      await collecting;
    } finally {
      await events.close();
      await plane.stop();
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('says where it looked and what to do when no control plane answers', async () => {
    const address = await closedAddress();
    const events = createMicroEvents({ address, timeout: 2000 });
    try {
      await assert.rejects(
        events.publish('a', 1),
        (err: { id: string; code: number; detail: string }) => {
          assert.equal(err.id, 'events');
          assert.equal(err.code, 503);
          assert.match(err.detail, new RegExp(`events service at ${address}.*micro run`));
          return true;
        },
      );
    } finally {
      await events.close();
    }
  });
});

describe('durable subscribe (service.subscribe with durable)', () => {
  it('shares a group between two services, at least once: a thrown handler gets the event again', async () => {
    const registry = createMicroRegistry({ address: cp.address });
    const seen: { node: number; n: number; attempt: string }[] = [];
    let failedOnce = false;
    let allSeen!: () => void;
    const twenty = new Promise<void>((resolve) => (allSeen = resolve));
    const workers = [1, 2].map((node) =>
      createService({ name: 'worker', registry, handleSignals: false, logger: quiet }).subscribe(
        'jobs',
        (msg, ctx) => {
          const n = (msg as { n: number }).n;
          if (n === 5 && !failedOnce) {
            failedOnce = true;
            throw new Error('not this time');
          }
          seen.push({ node, n, attempt: ctx.metadata['micro-event-attempt'] ?? '' });
          if (seen.length === 20) allSeen();
        },
        { durable: { start: 'earliest', maxInFlight: 2 } },
      ),
    );
    const publisher = createService({
      name: 'shop',
      registry,
      handleSignals: false,
      logger: quiet,
    });
    try {
      for (const w of workers) await w.start();
      await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          publisher.client.publish('jobs', { n }, { durable: true, key: `job-${n}` }),
        ),
      );
      // A retried publish with the same key is stored once.
      await publisher.client.publish('jobs', { n: 0 }, { durable: true, key: 'job-0' });
      await twenty;
      assert.deepEqual(
        [...new Set(seen.map((s) => s.n))].sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, n) => n),
      );
      assert.equal(seen.find((s) => s.n === 5)?.attempt, '2');
      // Both members took part.
      assert.deepEqual([...new Set(seen.map((s) => s.node))].sort(), [1, 2]);
      const [group] = await publisher.events.groups('jobs');
      assert.equal(group?.group, 'worker');
      const page = await publisher.events.read('jobs');
      assert.equal(page.events[0]?.metadata['micro-from'], 'shop');
    } finally {
      for (const w of workers) await w.stop();
      await publisher.stop();
      await registry.close();
    }
  });
});

// The explorer's LiveRegistry against real registries (in memory, and a control plane over HTTP and
// WebSocket): one full read, then changes applied from the watch, batched, and a re-read only after
// the watch broke.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { Registry, Service, Watcher } from '../../src/registry/registry.ts';
import { createMemoryRegistry } from '../../src/runtime/index.ts';
import {
  createLiveRegistry,
  type LiveRegistry,
  type LiveSnapshot,
} from '../../src/ui/tui/live-registry.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { record } from '../helpers/fixtures.ts';
import type { RunningServer } from '../helpers/server-process.ts';

/** A service named name with two nodes, as the fleets in issue 15 have. */
const svc = (name: string, version = '1.0.0'): Service =>
  record(name, {
    version,
    endpoints: [{ name: 'Say.Hello', metadata: {} }],
    nodes: [0, 1].map((i) => ({
      id: `${name}-${version}-${i}`,
      address: `127.0.0.1:${2000 + i}`,
      metadata: {},
    })),
  });

/** inner, with its full reads counted, its watches breakable and its reads able to fail or wait. */
function instrumented(inner: Registry) {
  let reads = 0;
  let failing = false;
  let gate: Promise<void> | undefined;
  const watches = new Set<Watcher>();
  const registry: Registry = Object.assign(Object.create(inner) as Registry, {
    async listServices() {
      reads++;
      if (failing) throw new Error('the registry is down');
      const list = await inner.listServices();
      // The listing as it was when asked for, answered later: changes happen in between.
      await gate;
      return list;
    },
    watch(options?: Parameters<Registry['watch']>[0]): Watcher {
      const w = inner.watch(options);
      watches.add(w);
      return {
        stop: () => {
          watches.delete(w);
          w.stop();
        },
        [Symbol.asyncIterator]: () => w[Symbol.asyncIterator](),
      };
    },
  });
  return {
    registry,
    reads: () => reads,
    /** Watches open now. */
    watching: () => watches.size,
    /** Ends every watch, as a registry going away does. */
    breakWatches() {
      for (const w of watches) w.stop();
      watches.clear();
    },
    failReads(fail: boolean) {
      failing = fail;
    },
    /** Holds the answers to reads until the returned function is called. */
    holdReads(): () => void {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

/** Resolves with the snapshot once want(snapshot) holds; rejects after ms showing the last one. */
function until(
  live: LiveRegistry,
  want: (s: LiveSnapshot) => boolean,
  ms = 10_000,
): Promise<LiveSnapshot> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const s = live.snapshot();
      if (!want(s)) return false;
      clearTimeout(timer);
      stop();
      resolve(s);
      return true;
    };
    const stop = live.subscribe(() => void check());
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`not seen within ${ms} ms; last: ${JSON.stringify(live.snapshot())}`));
    }, ms);
    check();
  });
}

/** The names listed, without the control plane's own entries. */
const names = (s: LiveSnapshot): string[] =>
  (s.services.value ?? []).map((x) => x.name).filter((n) => n.startsWith('svc-'));

describe('LiveRegistry on an in-memory registry', () => {
  it('reads in full once, then applies each change', async () => {
    const memory = createMemoryRegistry();
    const r = instrumented(memory);
    for (const n of [3, 1, 2]) await memory.register(svc(`svc-${n}`));
    const live = createLiveRegistry(r.registry);
    live.start();
    try {
      let s = await until(live, (x) => !x.services.loading);
      assert.deepEqual(names(s), ['svc-1', 'svc-2', 'svc-3']);
      assert.equal(s.services.value?.[0]?.nodes, 2);

      for (let i = 4; i <= 40; i++) await memory.register(svc(`svc-${i}`));
      await memory.register(svc('svc-2', '2.0.0'));
      await memory.deregister({ ...svc('svc-3'), nodes: svc('svc-3').nodes.slice(0, 1) });
      await memory.deregister(svc('svc-1'));
      s = await until(live, (x) => names(x).length === 39 && x.services.value?.[1]?.nodes === 1);
      const [two, three] = s.services.value ?? [];
      assert.deepEqual(two?.versions, ['1.0.0', '2.0.0']);
      assert.equal(two?.nodes, 4);
      assert.equal(three?.name, 'svc-3');
      assert.deepEqual(
        names(s).slice(0, 10),
        [2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((n) => `svc-${n}`),
      );
      assert.equal(r.reads(), 1, 'one full read for 40 changes');
    } finally {
      live.stop();
      await memory.close();
    }
    assert.equal(r.watching(), 0, 'stop() ended the watch');
  });

  it('hands out a burst of changes in one batch, however many there are', async () => {
    const memory = createMemoryRegistry();
    const live = createLiveRegistry(memory);
    live.start();
    try {
      await until(live, (x) => !x.services.loading);
      let batches = 0;
      const unsubscribe = live.subscribe(() => batches++);
      // One burst: 500 registrations and 200 deregistrations before the watch is read.
      const burst = Array.from({ length: 500 }, (_, i) => svc(`svc-${i}`));
      for (const s of burst) void memory.register(s);
      for (const s of burst.slice(0, 200)) void memory.deregister(s);
      const s = await until(live, (x) => names(x).length === 300);
      unsubscribe();
      assert.equal(names(s)[0], 'svc-200');
      // One batch for the burst, one for the read that the first change asks for, maybe one more.
      assert.ok(batches <= 3, `700 changes drawn in ${batches} batches`);
    } finally {
      live.stop();
      await memory.close();
    }
  });

  it('keeps the changes made while its first read was under way', async () => {
    const memory = createMemoryRegistry();
    const r = instrumented(memory);
    await memory.register(svc('svc-1'));
    await memory.register(svc('svc-2'));
    const release = r.holdReads();
    const live = createLiveRegistry(r.registry);
    live.start();
    try {
      // Let the read take its listing (svc-1, svc-2), then change things before it answers.
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(r.reads(), 1);
      await memory.deregister(svc('svc-1'));
      await memory.register(svc('svc-3'));
      await memory.register(svc('svc-2', '1.1.0'));
      assert.equal(live.snapshot().services.loading, true, 'nothing shown before the read');
      release();
      const s = await until(live, (x) => !x.services.loading);
      assert.deepEqual(names(s), ['svc-2', 'svc-3']);
      assert.deepEqual(s.services.value?.[0]?.versions, ['1.0.0', '1.1.0']);
    } finally {
      live.stop();
      await memory.close();
    }
  });

  it('reads in full again after the watch broke, catching what it missed', async () => {
    const memory = createMemoryRegistry();
    const r = instrumented(memory);
    await memory.register(svc('svc-1'));
    const live = createLiveRegistry(r.registry, { retryMs: 20 });
    live.start();
    try {
      await until(live, (x) => names(x).length === 1);
      r.breakWatches();
      // No watch is open now: these changes reach the list only through the next read.
      await memory.register(svc('svc-2'));
      await memory.deregister(svc('svc-1'));
      const s = await until(live, (x) => names(x).join() === 'svc-2');
      assert.equal(r.reads(), 2, 'one read more, after the watch came back');
      assert.equal(r.watching(), 1);
      // And the new watch is followed.
      await memory.register(svc('svc-10'));
      assert.deepEqual(names(await until(live, (x) => names(x).length === 2)), ['svc-2', 'svc-10']);
      assert.equal(s.services.error, undefined);
    } finally {
      live.stop();
      await memory.close();
    }
  });

  it('shows why a read failed, keeps trying, and clears the error once one succeeds', async () => {
    const memory = createMemoryRegistry();
    const r = instrumented(memory);
    await memory.register(svc('svc-1'));
    r.failReads(true);
    const live = createLiveRegistry(r.registry, { retryMs: 20 });
    live.start();
    try {
      let s = await until(live, (x) => x.services.error !== undefined);
      assert.equal(s.services.error, 'the registry is down');
      assert.equal(s.services.loading, false);
      r.failReads(false);
      s = await until(live, (x) => names(x).length === 1);
      assert.equal(s.services.error, undefined);
      assert.ok(r.reads() >= 2);
    } finally {
      live.stop();
      await memory.close();
    }
  });
});

describe('LiveRegistry on a control plane (micro registry)', () => {
  let cp: RunningServer;
  let writer: Registry;
  before(async () => {
    cp = await startTestControlPlane('micro-live-');
    writer = createMicroRegistry({ addresses: [cp.address] });
  });
  after(async () => {
    await writer?.close();
    await cp?.stop();
  });

  it('follows 200 registrations and 80 deregistrations without a full read per change', async () => {
    for (let i = 1; i <= 20; i++) await writer.register(svc(`svc-${i}`));
    const r = instrumented(createMicroRegistry({ addresses: [cp.address] }));
    const live = createLiveRegistry(r.registry);
    live.start();
    try {
      await until(live, (x) => names(x).length === 20);
      const more = Array.from({ length: 180 }, (_, i) => svc(`svc-${i + 21}`));
      await Promise.all(more.map((s) => writer.register(s)));
      await Promise.all(more.slice(100).map((s) => writer.deregister(s)));
      const s = await until(live, (x) => names(x).length === 120);
      assert.deepEqual(
        names(s).slice(8, 12),
        ['svc-9', 'svc-10', 'svc-11', 'svc-12'],
        'natural order',
      );
      assert.equal(names(s).at(-1), 'svc-120');
      assert.equal(r.reads(), 1, 'one full read for 280 changes: the read waited for the watch');
    } finally {
      live.stop();
      await r.registry.close();
    }
  });
});

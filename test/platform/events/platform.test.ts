// The announcers of platform events, each fed a recording emit: the registry's node comings and
// goings, sync's locks and leaders, config's versions, and platformEmitter's fire and forget.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registryEvents } from '../../../src/controlplane/registry-events.ts';
import { Supervisor } from '../../../src/controlplane/supervisor.ts';
import { createMemoryConfig } from '../../../src/platform/config/memory.ts';
import { configHandler } from '../../../src/platform/config/service.ts';
import { platformEmitter, type PlatformEmit } from '../../../src/platform/events/platform.ts';
import { memoryTable } from '../../../src/platform/sync/memory.ts';
import { observedOps } from '../../../src/platform/sync/observed.ts';
import { createMemoryRegistry } from '../../../src/registry/memory.ts';
import { createService } from '../../../src/runtime/index.ts';
import { quiet, record } from '../../helpers/fixtures.ts';

interface Seen {
  topic: string;
  data: Record<string, unknown>;
}

/** An emit that records, and a wait for the n-th event matching a test. */
function recorder() {
  const seen: Seen[] = [];
  const waits: { test: (s: Seen) => boolean; done: (s: Seen) => void }[] = [];
  const emit: PlatformEmit = (topic, data) => {
    const s = { topic, data };
    seen.push(s);
    for (const w of [...waits])
      if (w.test(s)) {
        waits.splice(waits.indexOf(w), 1);
        w.done(s);
      }
  };
  const next = (action: string): Promise<Seen> =>
    new Promise((done) => waits.push({ test: (s) => s.data.action === action, done }));
  return { seen, emit, next };
}

describe('platform events', () => {
  it('announces a node registered, deregistered and expired, and not its heartbeats', async () => {
    const registry = createMemoryRegistry({ sweepInterval: 20 });
    const { seen, emit, next } = recorder();
    const announced = registryEvents(registry, emit);
    try {
      const up = next('register');
      const greeter = record('greeter', { node: 'greeter-1', address: '127.0.0.1:4321' });
      await announced.registry.register(greeter, { ttl: 60_000 });
      const registered = await up;
      assert.equal(registered.topic, 'micro.registry');
      assert.deepEqual(registered.data, {
        action: 'register',
        service: 'greeter',
        version: '1.0.0',
        node: 'greeter-1',
        address: '127.0.0.1:4321',
        summary: 'greeter 1.0.0 node greeter-1 up at 127.0.0.1:4321',
      });
      await announced.registry.register(greeter, { ttl: 60_000 }); // a heartbeat
      const down = next('deregister');
      await announced.registry.deregister(greeter);
      assert.equal((await down).data.node, 'greeter-1');

      const lapsed = next('expire');
      await announced.registry.register(record('short', { node: 'short-1' }), { ttl: 50 });
      const expired = await lapsed;
      assert.equal(expired.data.node, 'short-1');
      assert.match(String(expired.data.summary), /expired/);
      assert.deepEqual(
        seen.map((s) => `${String(s.data.action)} ${String(s.data.node)}`),
        ['register greeter-1', 'deregister greeter-1', 'register short-1', 'expire short-1'],
      );
    } finally {
      announced.stop();
      await registry.close();
    }
  });

  it('announces a lock taken, released and lapsed, and a new leader', async () => {
    const { seen, emit, next } = recorder();
    const ops = observedOps(memoryTable(), emit);
    try {
      const lock = await ops.lock({ name: 'jobs', holder: 'worker-1', ttl: 15_000, wait: 0 });
      await ops.unlock({ name: 'jobs', token: lock.token });
      await ops.unlock({ name: 'jobs', token: lock.token }); // no longer held: nothing
      const lapsed = next('expire');
      await ops.lock({ name: 'short', holder: 'worker-2', ttl: 1000, wait: 0 });
      assert.equal((await lapsed).data.holder, 'worker-2');
      await ops.campaign({ name: 'primary', id: 'a', ttl: 15_000 });
      await ops.campaign({ name: 'primary', id: 'b', ttl: 15_000 }); // a still leads: nothing
      await ops.resign({ name: 'primary', id: 'a' });
      assert.deepEqual(
        seen.map((s) => [s.topic, s.data.action, s.data.name, s.data.holder]),
        [
          ['micro.sync', 'lock', 'jobs', 'worker-1'],
          ['micro.sync', 'unlock', 'jobs', 'worker-1'],
          ['micro.sync', 'lock', 'short', 'worker-2'],
          ['micro.sync', 'expire', 'short', 'worker-2'],
          ['micro.sync', 'leader', 'primary', 'a'],
          ['micro.sync', 'leader', 'primary', 'b'],
        ],
      );
    } finally {
      await ops.close();
    }
  });

  it('announces each config version stored, not a refused change', async () => {
    const { seen, emit } = recorder();
    const registry = createMemoryRegistry();
    const config = createMemoryConfig();
    const service = createService({
      name: 'config',
      registry,
      handleSignals: false,
      logger: quiet,
    });
    service.handle('Config', configHandler(config, emit));
    await service.start();
    try {
      const call = (endpoint: string, body: object) =>
        service.client.call('config', `Config.${endpoint}`, body);
      await call('Set', { path: 'db.pool.max', value: 20, namespace: 'billing' });
      await call('Delete', { path: 'db.pool', namespace: 'billing' });
      await assert.rejects(
        call('Set', { path: 'db', value: 1, namespace: 'billing', ifVersion: 1 }),
      );
      await call('Rollback', { version: 1, namespace: 'billing' });
      assert.deepEqual(
        seen.map((s) => [s.topic, s.data.action, s.data.path, s.data.version, s.data.namespace]),
        [
          ['micro.config', 'set', 'db.pool.max', 1, 'billing'],
          ['micro.config', 'delete', 'db.pool', 2, 'billing'],
          ['micro.config', 'rollback', '', 3, 'billing'],
        ],
      );
      assert.equal(seen[0]?.data.summary, 'config billing: db.pool.max set (version 1) by config');
    } finally {
      await service.stop();
      await config.close();
      await registry.close();
    }
  });

  it('announces a deployment, its process exits and restarts, and its stop', async () => {
    const { seen, emit, next } = recorder();
    const dataDir = mkdtempSync(join(tmpdir(), 'micro-runtime-events-'));
    // A "service" whose process exits with code 3 soon after it starts.
    const self = {
      command: process.execPath,
      args: ['-e', 'setTimeout(() => process.exit(3), 20)'],
    };
    const supervisor = new Supervisor({
      dataDir,
      self,
      env: {},
      onChange: (change) => emit('micro.runtime', { ...change }),
    });
    try {
      const restarted = next('restart');
      supervisor.create('crashy', fileURLToPath(import.meta.url));
      await restarted;
      await supervisor.kill('crashy');
      const actions = seen.map((s) => s.data.action);
      assert.deepEqual(actions.slice(0, 4), ['deploy', 'start', 'exit', 'restart']);
      assert.equal(actions.at(-1), 'stop');
      const exit = seen.find((s) => s.data.action === 'exit');
      assert.equal(exit?.data.code, 'exit code 3');
      assert.match(
        String(exit?.data.summary),
        /^crashy pid \d+ exit code 3; restarting in \d+ ms$/,
      );
      assert.ok(seen.every((s) => s.topic === 'micro.runtime' && s.data.name === 'crashy'));
    } finally {
      await supervisor.stopAll();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('never throws or waits in the change: a failing publish is logged once and dropped', async () => {
    const warnings: string[] = [];
    const published: string[] = [];
    let fail = true;
    const emitter = platformEmitter(
      async (topic, data) => {
        if (fail) throw new Error('events are closed');
        published.push(`${topic} ${String(data.n)}`);
      },
      { ...quiet, warn: (m) => warnings.push(m) },
    );
    emitter.emit('micro.registry', { n: 1 });
    emitter.emit('micro.registry', { n: 2 });
    await emitter.settled();
    assert.equal(emitter.dropped(), 2);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /cannot publish to micro.registry: events are closed/);
    fail = false;
    for (let n = 3; n <= 5; n++) emitter.emit('micro.registry', { n });
    assert.deepEqual(published, [], 'published in a later tick, not during emit');
    await emitter.settled();
    assert.deepEqual(published, ['micro.registry 3', 'micro.registry 4', 'micro.registry 5']);
  });
});

import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { startTestControlPlane } from '../../helpers/control-plane.ts';
import { startEtcd } from '../../helpers/etcd-server.ts';
import { startNode, stopAll, type Child } from '../../helpers/proc.ts';
import type { RunningServer } from '../../helpers/server-process.ts';

// A holder process is killed with SIGKILL (no unlock, no resign); another process, already
// waiting, gets the lock / the leadership once the dead one's lease lapses. The takeover time is
// printed, not asserted beyond "within the lease and a margin".
const holder = fileURLToPath(new URL('./fixtures/holder.ts', import.meta.url));
const TTL = 2000;
/** Slack over the lease: etcd's whole-second leases and sweep, a renewal's third, a shared machine. */
const MARGIN = 3000;

const engines: {
  label: string;
  env: (s: RunningServer) => NodeJS.ProcessEnv;
  start: () => Promise<RunningServer>;
}[] = [
  {
    label: 'micro (the control plane)',
    start: () => startTestControlPlane('micro-sync-kill-'),
    env: (s) => ({ MICRO_SYNC: 'micro', MICRO_SYNC_ADDRESS: s.address }),
  },
  {
    label: 'etcd',
    start: startEtcd,
    env: (s) => ({ MICRO_SYNC: 'etcd', MICRO_SYNC_ADDRESS: s.address }),
  },
];

/** The time (ms since the epoch) printed on a line like {"t":...,"event":...}. */
const when = async (child: Child, event: string, ms: number): Promise<number> => {
  const m = await child.waitFor(new RegExp(`^\\{"t":(\\d+),"event":"${event}"`), ms);
  return Number(m[1]);
};

for (const engine of engines) {
  describe(`a SIGKILLed holder on ${engine.label}`, () => {
    let server: RunningServer | undefined;
    after(async () => {
      await stopAll();
      await server?.stop();
    });

    it('loses its lock to a waiting process within the lease', async (t) => {
      server ??= await engine.start();
      const env = engine.env(server);
      const a = startNode(holder, ['lock', 'kill', String(TTL), '0', 'a'], env);
      await when(a, 'locked', 20_000);
      const b = startNode(holder, ['lock', 'kill', String(TTL), '60000', 'b'], env);
      await when(b, 'waiting', 20_000);
      const killed = Date.now();
      a.proc.kill('SIGKILL');
      const taken = await when(b, 'locked', TTL + MARGIN + 10_000);
      const takeover = taken - killed;
      t.diagnostic(
        `${engine.label}: lock taken over ${takeover} ms after SIGKILL (lease ${TTL} ms)`,
      );
      assert.ok(
        takeover <= TTL + MARGIN,
        `taken over after ${takeover} ms: over ${TTL} + ${MARGIN}`,
      );
      assert.equal(a.lines.filter((l) => l.includes('"failed"')).length, 0);
    });

    it('loses its leadership to another candidate within the lease', async (t) => {
      server ??= await engine.start();
      const env = engine.env(server);
      const a = startNode(holder, ['elect', 'kill-elect', String(TTL), '0', 'a'], env);
      await when(a, 'elected', 20_000);
      const b = startNode(holder, ['elect', 'kill-elect', String(TTL), '0', 'b'], env);
      const standing = await b.waitFor(/"event":"standing".*"leading":(\w+)/, 20_000);
      assert.equal(standing[1], 'false', 'b does not lead while a lives');
      const killed = Date.now();
      a.proc.kill('SIGKILL');
      const elected = await when(b, 'elected', TTL + MARGIN + 10_000);
      const takeover = elected - killed;
      t.diagnostic(
        `${engine.label}: leadership taken over ${takeover} ms after SIGKILL (lease ${TTL} ms)`,
      );
      assert.ok(
        takeover <= TTL + MARGIN,
        `taken over after ${takeover} ms: over ${TTL} + ${MARGIN}`,
      );
    });
  });
}

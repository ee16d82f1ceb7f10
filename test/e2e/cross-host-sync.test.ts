import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  createHosts,
  runHubEtcd,
  type Host,
  type HostProcess,
  type Hosts,
} from '../helpers/hosts.ts';

// The network-namespace hosts of cross-host.test.ts, for sync: etcd on the hub, and on hosts A and
// B one process each that stands in an election and takes (or waits for) a lock through it. A
// leads and holds the lock; then A's link is cut. A must give both up (onDeposed, lock.signal)
// before B is given them, so there are never two leaders or two holders at once, and B must get
// them once A's lease lapses.
const holder = fileURLToPath(new URL('../platform/sync/fixtures/holder.ts', import.meta.url));
const TTL = 3000;
/** Slack over the lease: etcd's whole-second leases and 500 ms expiry checks, B's campaign every ttl/3, a shared machine. */
const MARGIN = 3000;

describe('sync across hosts: etcd on the hub, candidates on hosts A and B, A cut off', () => {
  const dir = mkdtempSync(join(tmpdir(), 'micro-xs-'));
  let hosts: Hosts | undefined;
  let a: HostProcess;
  let b: HostProcess;

  /** The time printed on the process's first line (from `since` on) with this event. */
  const at = async (p: HostProcess, event: string, ms: number, since = 0): Promise<number> => {
    const m = await p.waitFor(new RegExp(`^\\{"t":(\\d+),"event":"${event}"`), ms, since);
    return Number(m[1]);
  };

  before(async () => {
    hosts = createHosts(`${process.pid}s`, ['a', 'b']);
    const { hub } = hosts;
    const leaves = hosts.leaves as { a: Host; b: Host };
    const etcd = runHubEtcd(hub, `${dir}/etcd`);
    await etcd.waitFor(/ready to serve client requests/, 20_000);
    const candidate = (host: Host, hubIp: string | undefined, id: string, wait: number) =>
      host.run(process.execPath, [holder, 'lock,elect', 'xhost', String(TTL), String(wait), id], {
        MICRO_SYNC: 'etcd',
        MICRO_SYNC_ADDRESS: `${hubIp ?? ''}:2379`,
      });
    a = candidate(leaves.a, hub.ips.a, 'a', 0);
    await Promise.all([at(a, 'elected', 20_000), at(a, 'locked', 20_000)]);
    b = candidate(leaves.b, hub.ips.b, 'b', 60_000);
    const standing = await b.waitFor(/"event":"standing".*"leading":(\w+)/, 20_000);
    assert.equal(standing[1], 'false', 'B does not lead while A does');
    await at(b, 'waiting', 20_000);
  });

  after(async () => {
    await hosts?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has A give up leadership and the lock before B gets them, and B get them within the lease', async (t) => {
    const cut = Date.now();
    hosts?.link('a', false);
    const [deposed, lost, elected, locked] = await Promise.all([
      at(a, 'deposed', TTL + 10_000),
      at(a, 'lost', TTL + 10_000),
      at(b, 'elected', TTL + MARGIN + 10_000),
      at(b, 'locked', TTL + MARGIN + 10_000),
    ]);
    t.diagnostic(
      `after the cut: A deposed at ${deposed - cut} ms, lost the lock at ${lost - cut} ms; B elected at ${elected - cut} ms, got the lock at ${locked - cut} ms (lease ${TTL} ms)`,
    );
    assert.ok(
      deposed < elected,
      `A was deposed (${deposed - cut} ms) before B was elected (${elected - cut} ms)`,
    );
    assert.ok(
      lost < locked,
      `A lost the lock (${lost - cut} ms) before B took it (${locked - cut} ms)`,
    );
    assert.ok(deposed - cut <= TTL, `A stopped leading within its lease: ${deposed - cut} ms`);
    assert.ok(lost - cut <= TTL, `A stopped holding within its lease: ${lost - cut} ms`);
    assert.ok(elected - cut <= TTL + MARGIN, `B led ${elected - cut} ms after the cut`);
    assert.ok(locked - cut <= TTL + MARGIN, `B held the lock ${locked - cut} ms after the cut`);
  });

  it('keeps B the only leader once A is back', async () => {
    const since = a.lines.length;
    hosts?.link('a', true);
    // An observation window: A stands again on its next campaigns and must find B leading.
    const rejoined = Date.now();
    await delay(2 * TTL);
    assert.equal(
      a.lines.slice(since).filter((l) => l.includes('"elected"')).length,
      0,
      `A was elected again after the link came back (${Date.now() - rejoined} ms):\n${a.lines.join('\n')}`,
    );
    assert.equal(
      b.lines.filter((l) => l.includes('"deposed"') || l.includes('"lost"')).length,
      0,
      `B:\n${b.lines.join('\n')}\nA:\n${a.lines.join('\n')}`,
    );
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  createHosts,
  runHubEtcd,
  type Host,
  type HostProcess,
  type Hosts,
} from '../helpers/hosts.ts';

// Three hosts as network namespaces made by this test: a hub running etcd, nats-server and a client,
// and hosts A and B each running a greeter, each on its own veth link to the hub, which routes
// between them. Every process runs inside one of these namespaces, so nothing listens on the real
// host's interfaces. Host A's link is cut while the client calls, then restored.
const greeter = fileURLToPath(new URL('../../examples/greeter/service.ts', import.meta.url));
const clientFixture = fileURLToPath(new URL('./fixtures/cross-host-client.ts', import.meta.url));
const TTL = 3000;
const INTERVAL = 1000;
/**
 * Whole budget of each call, retries included: the client's default. A call already sent to A when
 * the link goes down is answered by nothing, not even a reset; the transport's keepalive ping
 * notices within about 2 s and the call is retried on B inside this budget.
 */
const CALL_TIMEOUT = 5000;
/** Slack over the TTL for A to leave etcd: etcd checks leases every 500 ms, and the machine is shared. */
const MARGIN = 3000;

/** One line the client fixture prints. */
interface Line {
  t: number;
  event: string;
  phase?: string;
  node?: string;
  calls?: number;
  failed?: number;
  slowest?: number;
  byNode?: Record<string, number>;
  error?: string;
  ms?: number;
}

/** What a scenario runs on: the plugins its greeters and client use, given the hub's address on a link. */
interface Plugins {
  label: string;
  /** Part of the namespaces' names, so that scenarios never share one. */
  tag: string;
  env: (hubIp: string) => NodeJS.ProcessEnv;
  /** How a greeter's address looks, given its host's address. */
  address: (hostIp: string) => RegExp;
}

const escaped = (ip: string): string => ip.replaceAll('.', '\\.');

scenario({
  label: 'etcd registry, tcp transport',
  tag: 't',
  env: (hubIp) => ({ MICRO_REGISTRY: 'etcd', MICRO_REGISTRY_ADDRESS: `${hubIp}:2379` }),
  address: (hostIp) => new RegExp(`^${escaped(hostIp)}:\\d+$`),
});

// No greeter opens a port: calls reach them through the hub's nats-server.
scenario({
  label: 'etcd registry, NATS transport and broker',
  tag: 'n',
  env: (hubIp) => ({
    MICRO_REGISTRY: 'etcd',
    MICRO_REGISTRY_ADDRESS: `${hubIp}:2379`,
    MICRO_TRANSPORT: 'nats',
    MICRO_TRANSPORT_ADDRESS: `${hubIp}:4222`,
    MICRO_BROKER: 'nats',
    MICRO_BROKER_ADDRESS: `${hubIp}:4222`,
  }),
  address: () => /^micro\.node\.\w+$/,
});

function scenario(plugins: Plugins): void {
  describe(`across hosts (${plugins.label}): greeters on hosts A and B, etcd, NATS and a client on the hub`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'micro-x-'));
    let hosts: Hosts | undefined;
    let client: HostProcess;
    let greeterA: HostProcess;
    const node = { a: { id: '', address: '' }, b: { id: '', address: '' } };
    const events: Line[] = [];
    const waiters = new Set<{ match: (l: Line) => boolean; resolve: (l: Line) => void }>();

    /** The first client line (already printed or to come) that matches, or a rejection after ms. */
    const event = (match: (l: Line) => boolean, what: string, ms: number): Promise<Line> => {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = { match, resolve: (l: Line) => (clearTimeout(timer), resolve(l)) };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(
            new Error(
              `no ${what} within ${ms} ms; the client printed:\n${client.lines.slice(-40).join('\n')}\ngreeter A printed:\n${greeterA.lines.slice(-20).join('\n')}`,
            ),
          );
        }, ms);
        waiters.add(w);
      });
    };
    /** Ends the client's current phase and starts `next`; resolves with the ended phase's totals. */
    const phase = (ending: string, next: string): Promise<Line> => {
      client.proc.stdin.write(`phase ${next}\n`);
      return event((l) => l.event === 'phase' && l.phase === ending, `end of ${ending}`, 10_000);
    };
    const failures = (name: string): string =>
      events
        .filter((l) => l.event === 'failed' && l.phase === name)
        .map((l) => `${l.ms} ms: ${l.error}`)
        .join('\n');

    before(async () => {
      hosts = createHosts(`${process.pid}${plugins.tag}`, ['a', 'b']);
      const { hub } = hosts;
      const { a, b } = hosts.leaves as { a: Host; b: Host };
      const etcd = runHubEtcd(hub, `${dir}/etcd`);
      // Inside the hub's namespace only: 0.0.0.0 there is the hub's two link addresses and loopback.
      const nats = hub.run('nats-server', ['-a', '0.0.0.0', '-p', '4222']);
      await Promise.all([
        etcd.waitFor(/ready to serve client requests/, 20_000),
        nats.waitFor(/Server is ready/, 20_000),
      ]);
      // Each greeter reaches etcd at the hub's address on its own link.
      const greeterOn = (host: Host, etcdIp: string | undefined): HostProcess =>
        host.run(process.execPath, [greeter], {
          ...plugins.env(etcdIp ?? ''),
          MICRO_SERVER_ADDRESS: `${host.ip}:0`,
          MICRO_REGISTER_TTL: String(TTL),
          MICRO_REGISTER_INTERVAL: String(INTERVAL),
        });
      greeterA = greeterOn(a, hub.ips.a);
      const greeterB = greeterOn(b, hub.ips.b);
      const listening = /^greeter (\S+) listening on (\S+)/;
      const [ma, mb] = await Promise.all([
        greeterA.waitFor(listening, 20_000),
        greeterB.waitFor(listening, 20_000),
      ]);
      node.a = { id: ma[1] ?? '', address: ma[2] ?? '' };
      node.b = { id: mb[1] ?? '', address: mb[2] ?? '' };
      assert.match(node.a.address, plugins.address(a.ip));
      assert.match(node.b.address, plugins.address(b.ip));

      // At most 20 000 calls or 150 s, one every 20 ms or so.
      client = hub.run(
        process.execPath,
        [clientFixture, '20000', '150000', String(CALL_TIMEOUT), '20'],
        plugins.env(hub.ips.a ?? ''),
      );
      client.onLine((text) => {
        let l: Line;
        try {
          l = JSON.parse(text) as Line;
        } catch {
          return; // a stderr line
        }
        events.push(l);
        for (const w of [...waiters])
          if (w.match(l)) {
            waiters.delete(w);
            w.resolve(l);
          }
      });
      await client.waitFor(/"event":"ready"/, 20_000);
    });

    after(async () => {
      await hosts?.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    it('has both greeter nodes in etcd, and the client reaches both', async () => {
      await event(
        (l) => l.event === 'registered' && l.node === node.a.id,
        'node A in etcd',
        10_000,
      );
      await event(
        (l) => l.event === 'registered' && l.node === node.b.id,
        'node B in etcd',
        10_000,
      );
      const first = (id: string) => (l: Line) =>
        l.event === 'first' && l.phase === 'start' && l.node === id;
      await event(first(node.a.id), 'answer from A', 20_000);
      await event(first(node.b.id), 'answer from B', 20_000);
      const s = await phase('start', 'cut');
      assert.equal(s.failed, 0, `calls failed before the cut:\n${failures('start')}`);
    });

    it('goes on through B with no failed call when A is cut off, and A leaves etcd within its TTL', async (t) => {
      const cut = Date.now();
      hosts?.link('a', false);
      const gone = await event(
        (l) => l.event === 'deregistered' && l.node === node.a.id && l.t >= cut,
        'node A leaving etcd',
        TTL + MARGIN + 10_000,
      );
      const left = gone.t - cut;
      // The call that was on its way to A when the link went down waits for the transport to give
      // A up, then goes to B: B answers within the cut.
      await event(
        (l) => l.event === 'first' && l.phase === 'cut' && l.node === node.b.id,
        'an answer from B while A is cut off',
        10_000,
      );
      const s = await phase('cut', 'a-gone');
      t.diagnostic(
        `cut: ${s.calls} calls, ${s.failed} failed, slowest ${s.slowest} ms, by node ${JSON.stringify(s.byNode)}; A left etcd ${left} ms after the cut`,
      );
      assert.ok((s.byNode?.[node.b.id] ?? 0) > 0, 'calls went on through B');
      assert.equal(s.failed, 0, `calls failed while A was cut off:\n${failures('cut')}`);
      assert.ok(
        left <= TTL + MARGIN,
        `A left etcd ${left} ms after the cut: more than its TTL ${TTL} ms + ${MARGIN} ms`,
      );
    });

    it('has A back in etcd and answering calls once its link is restored', async (t) => {
      await phase('a-gone', 'restored');
      const restored = Date.now();
      hosts?.link('a', true);
      const back = await event(
        (l) => l.event === 'registered' && l.node === node.a.id && l.t >= restored,
        'node A back in etcd',
        30_000,
      );
      const answered = await event(
        (l) => l.event === 'first' && l.phase === 'restored' && l.node === node.a.id,
        'an answer from A after its link came back',
        30_000,
      );
      client.proc.stdin.write('stop\n');
      const s = await event(
        (l) => l.event === 'phase' && l.phase === 'restored',
        'the end',
        10_000,
      );
      t.diagnostic(
        `restore: A back in etcd after ${back.t - restored} ms, answering after ${answered.t - restored} ms; ${s.calls} calls, ${s.failed} failed, slowest ${s.slowest} ms, by node ${JSON.stringify(s.byNode)}`,
      );
      assert.equal(s.failed, 0, `calls failed after the link came back:\n${failures('restored')}`);
      const warned = greeterA.lines.filter((l) => /re-registering .* failed/.test(l)).length;
      t.diagnostic(`greeter A logged ${warned} failed re-registrations while cut off`);
      assert.equal(greeterA.proc.exitCode, null, 'greeter A kept running through the cut');
      const gone = events.find((l) => l.event === 'phase' && l.phase === 'a-gone');
      assert.equal(gone?.failed, 0, `calls failed with A gone from etcd:\n${failures('a-gone')}`);
    });
  });
}

// The registry benchmark's phases: the fill (every node once), heartbeats as fast as they go, and
// probes whose propagation to the watches is timed while heartbeats run at the fleet's rate.
import type { Registry, Service } from '../../src/registry/registry.ts';
import type { Child } from '../lib/processes.ts';
import { fmt, quantile } from '../lib/stats.ts';
import { record, type WatchPlan } from './fleet.ts';
import { PROBE_KEY, SENT_KEY, now } from './messages.ts';
import { closedLoop, pacedHeartbeats } from './registrations.ts';
import type { CpuMark, Listing, Phase, Propagation } from './report.ts';
import { CLIENTS, TTL, type Config } from './settings.ts';
import { collect, drain, sleep } from './watches.ts';

/** What the phases share: the fleet, the registry clients, the watchers child and the counters. */
export interface Bench {
  cfg: Config;
  records: Service[];
  plan: WatchPlan;
  /** CLIENTS clients for the fleet's registrations, and one for the probes. */
  clients: Registry[];
  probeClient: Registry;
  watchers: Child;
  /** The CPU time of the three processes so far. */
  mark(): CpuMark;
  /** Events the watches should have received so far; each phase adds what it causes. */
  expectedEvents: number;
  /** The fleet record the next paced heartbeat re-registers. */
  cursor: number;
}

/** The CPU time the three processes used since mark m. */
function since(b: Bench, m: CpuMark): CpuMark {
  const n = b.mark();
  return {
    controlPlane: n.controlPlane - m.controlPlane,
    watchers: n.watchers - m.watchers,
    bench: n.bench - m.bench,
  };
}

/** Registers every node of the fleet once, cfg.concurrency in flight over the clients. */
const registerFleet = (b: Bench) =>
  closedLoop(b.records.length, b.cfg.concurrency, (i) =>
    b.clients[i % CLIENTS]!.register(b.records[i]!, { ttl: TTL }),
  );

/** Fill: every node registered once, new; waits (2 minutes at most) until the watches had every event. */
export async function fill(b: Bench): Promise<Phase> {
  const { cfg } = b;
  const total = b.records.length;
  const cpu0 = b.mark();
  const r = await registerFleet(b);
  b.expectedEvents += cfg.unfiltered * total + (cfg.watchers - cfg.unfiltered) * cfg.nodes;
  const d = await drain(b.watchers, b.expectedEvents, 120_000);
  console.log(
    `  fill: ${fmt(total)} registrations in ${r.seconds.toFixed(1)} s (${fmt(total / r.seconds)}/s), ${r.errors} errors; ` +
      `watches had every event ${fmt(d.waitedMs)} ms after the last registration returned (${fmt(d.events)} of ${fmt(b.expectedEvents)} events)`,
  );
  return {
    label: 'fill: new nodes',
    registrations: total,
    seconds: r.seconds,
    latencies: r.latencies,
    cpu: since(b, cpu0),
    events: d.events,
    errors: r.errors,
    firstError: r.firstError,
  };
}

/** Heartbeats as fast as they go: every node re-registered, unchanged (which emits no event). */
export async function heartbeats(b: Bench, round: number): Promise<Phase> {
  const total = b.records.length;
  const before = await drain(b.watchers, b.expectedEvents, 0);
  const cpu0 = b.mark();
  const r = await registerFleet(b);
  const cpu = since(b, cpu0);
  const after = await drain(b.watchers, b.expectedEvents, 0);
  console.log(
    `  round ${round}/${b.cfg.rounds} heartbeats: ${fmt(total / r.seconds)}/s, p99 ${fmt(quantile(r.latencies, 0.99), 1)} ms, ` +
      `control plane ${fmt(cpu.controlPlane / total, 0)} us CPU each, ${r.errors} errors`,
  );
  return {
    label: 'heartbeats: unchanged, closed loop',
    registrations: total,
    seconds: r.seconds,
    latencies: r.latencies,
    cpu,
    events: after.events - before.events,
    errors: r.errors,
    firstError: r.firstError,
  };
}

/**
 * Probes while heartbeats run at the rate the fleet needs: cfg.probes nodes registered (and 200 ms
 * later deregistered) on watched services, each stamped with the time of its register() call.
 */
export async function probes(
  b: Bench,
  round: number,
): Promise<{ phase: Phase; propagation: Propagation }> {
  const { cfg, plan, watchers: w } = b;
  await collect(w); // start afresh
  const before = await drain(w, b.expectedEvents, 0);
  const cpu0 = b.mark();
  const beats = pacedHeartbeats(cfg.heartbeatRate, cfg.concurrency, b.records, b.clients, b.cursor);
  const filteredOn = (service: string): number => plan.filters.filter((f) => f === service).length;
  const probeRtt: number[] = [];
  const pending: Promise<void>[] = [];
  let expected = 0;
  const t0 = performance.now();
  for (let k = 0; k < cfg.probes; k++) {
    const due = t0 + (k * 1000) / cfg.probeRate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const s = (round * cfg.probes + k) % plan.watched.length;
    const service = plan.watched[s]!;
    const index = Number(service.slice(4));
    const probe = record(index, `probe-${round}-${k}`, 60_000 + k, {
      [PROBE_KEY]: `${round}-${k}`,
      [SENT_KEY]: '0',
    });
    expected += filteredOn(service) + cfg.unfiltered;
    b.expectedEvents += 2 * (filteredOn(service) + cfg.unfiltered);
    const pc = b.probeClient;
    pending.push(
      (async () => {
        const sent = now();
        probe.nodes[0]!.metadata[SENT_KEY] = sent.toFixed(3);
        await pc.register(probe, { ttl: TTL });
        probeRtt.push(now() - sent);
        await sleep(200);
        await pc.deregister(probe);
      })(),
    );
  }
  await Promise.all(pending);
  const hb = await beats.stop();
  b.cursor = hb.next;
  const cpu = since(b, cpu0);
  const d = await drain(w, b.expectedEvents, 30_000);
  const c = await collect(w);
  console.log(
    `  round ${round}/${cfg.rounds} propagation: ${c.latencies.length}/${expected} deliveries, p50 ${fmt(quantile(c.latencies, 0.5), 1)} ` +
      `p99 ${fmt(quantile(c.latencies, 0.99), 1)} ms; ${fmt(hb.sent)} heartbeats (${fmt(hb.sent / hb.seconds)}/s, ${hb.late} late)`,
  );
  return {
    phase: {
      label: `heartbeats at ${fmt(cfg.heartbeatRate)}/s + probes`,
      registrations: hb.sent + 2 * cfg.probes,
      seconds: hb.seconds,
      latencies: hb.latencies,
      cpu,
      events: d.events - before.events,
      errors: hb.errors,
      firstError: hb.firstError,
      late: hb.late,
    },
    propagation: { round, latencies: c.latencies, expected, probeRtt, late: hb.late },
  };
}

/** What `micro list services` costs with the fleet registered: three ListServices calls. */
export async function listing(client: Registry): Promise<Listing> {
  const ms: number[] = [];
  let result: Service[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    result = await client.listServices();
    ms.push(performance.now() - t);
  }
  return {
    ms,
    bytes: Buffer.byteLength(JSON.stringify({ services: result })),
    nodes: result.reduce((n, s) => n + s.nodes.length, 0),
  };
}

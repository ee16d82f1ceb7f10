// Registry benchmark: the control plane (`micro registry` as a child process, a temporary data
// folder, a free port on 127.0.0.1) holding 10,000 nodes (1,000 services x 10 nodes) with 100 watches.
//
// Phases: fill (every node registered once, from this process, a bounded number in flight), then
// rounds of (a) heartbeats as fast as they go (every node re-registered unchanged, which emits no
// event), and (b) watch propagation: probe nodes registered on watched services while heartbeats run
// at the rate 10,000 nodes need (one each 10 s, the default register interval); each probe carries
// the time of its register() call, and the watchers child records when each watch reports it.
//
// Watch mix (BENCH_WATCHERS, BENCH_UNFILTERED): 90 watches filtered by service, two on each of 45
// services spread over the 1,000 (what a client's selector opens per service it calls), and 10
// unfiltered (gateways, dashboards, `micro` tools), which see every change.
//
// Environment: BENCH_SERVICES (1,000), BENCH_NODES (10 per service), BENCH_WATCHERS (100),
// BENCH_UNFILTERED (10), BENCH_CONCURRENCY (32 registrations in flight, over 4 clients of 8
// connections), BENCH_ROUNDS (5), BENCH_PROBES (100 per round), BENCH_PROBE_RATE (20 per s),
// BENCH_HEARTBEAT_RATE (nodes / 10 s), BENCH_CONTROL_PLANE (binary: dist/micro, built when missing;
// dev: node bin/micro.ts), BENCH_BINARY (another micro executable to measure), BENCH_CPU_PROF (a folder: the control plane runs with --cpu-prof there),
// BENCH_HEAP_SNAPSHOT (a folder: the control plane writes a heap snapshot there after the rounds),
// BENCH_CP_NODE_OPTIONS (NODE_OPTIONS for the control plane, e.g. --max-semi-space-size=4).
// The default run takes about 1.5 minutes.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { Endpoint, Registry, Service } from '../../src/registry/registry.ts';
import { BINARY, NODE, ROOT, ensureBinary, registryArgs, shown } from '../lib/binary.ts';
import {
  Children,
  cleanEnv,
  clockTicks,
  onInterrupt,
  procCpuMicros,
  procStatusBytes,
  type Child,
} from '../lib/processes.ts';
import { envNumber } from '../lib/settings.ts';
import { fmt, median, quantile, table } from '../lib/stats.ts';
import {
  PROBE_KEY,
  SENT_KEY,
  isCollected,
  isCounted,
  isFailed,
  isPong,
  isReady,
  now,
  type CollectedMessage,
  type CountedMessage,
  type FailedMessage,
  type PongMessage,
  type ReadyMessage,
} from './messages.ts';

/** What this benchmark measures, for `npm run bench`'s list. */
export const describe =
  'control plane with 10,000 nodes and 100 watchers: registration rate, watch propagation, memory, CPU';

/** Goals (issue 3, point 8). */
const GOAL = { propagationP99Ms: 50, memoryMB: 150 };
/** The lease every benchmark registration asks for: longer than the run, so none expires mid-way. */
const TTL = 300_000;
/** The default register interval, which sets the heartbeat rate a registry must sustain. */
const REGISTER_INTERVAL_S = 10;
/** Registry clients the registrations are spread over (8 connections each). */
const CLIENTS = 4;

function config() {
  const services = Math.round(envNumber('BENCH_SERVICES', 1000, 1));
  const nodes = Math.round(envNumber('BENCH_NODES', 10, 1));
  const watchers = Math.round(envNumber('BENCH_WATCHERS', 100, 0));
  const unfiltered = Math.min(watchers, Math.round(envNumber('BENCH_UNFILTERED', 10, 0)));
  const mode = process.env.BENCH_CONTROL_PLANE || 'binary';
  if (mode !== 'binary' && mode !== 'dev')
    throw new Error(`BENCH_CONTROL_PLANE must be binary or dev, got "${mode}"`);
  return {
    services,
    nodes,
    watchers,
    unfiltered,
    concurrency: Math.round(envNumber('BENCH_CONCURRENCY', 32, 1)),
    rounds: Math.round(envNumber('BENCH_ROUNDS', 5, 1)),
    probes: Math.round(envNumber('BENCH_PROBES', 100, 1)),
    probeRate: envNumber('BENCH_PROBE_RATE', 20, 0.1),
    heartbeatRate: envNumber('BENCH_HEARTBEAT_RATE', (services * nodes) / REGISTER_INTERVAL_S, 0),
    mode,
    cpuProf: process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined,
    heapSnapshot: process.env.BENCH_HEAP_SNAPSHOT
      ? resolve(process.env.BENCH_HEAP_SNAPSHOT)
      : undefined,
    nodeOptions: process.env.BENCH_CP_NODE_OPTIONS ?? '',
    build: process.env.BENCH_BUILD === '1',
  };
}
type Config = ReturnType<typeof config>;

// What a node of a typical service registers: the record createService builds (see
// src/runtime/server/rpc-server.ts), with three endpoints that have JSON schemas.
const ENDPOINTS = ['Hello', 'Stream', 'Goodbye'].map((e): Endpoint => ({
  name: `Say.${e}`,
  request: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  response: { type: 'object', properties: { msg: { type: 'string' } } },
  metadata: e === 'Stream' ? { stream: 'server' } : {},
}));
const serviceName = (s: number): string => `svc-${String(s).padStart(4, '0')}`;

function record(s: number, id: string, port: number, extra: Record<string, string> = {}): Service {
  return {
    name: serviceName(s),
    version: '1.0.0',
    metadata: {},
    endpoints: ENDPOINTS,
    nodes: [
      {
        id,
        address: `127.0.0.1:${port}`,
        metadata: {
          transport: 'tcp',
          broker: 'http',
          registry: 'micro',
          protocol: 'micro-frame/1',
          'content-types': 'application/json,application/msgpack',
          pid: String(port),
          ...extra,
        },
      },
    ],
  };
}

/** Registration i: service i mod S, so the first pass creates every service and later ones add nodes. */
function fleet(cfg: Config): Service[] {
  const all: Service[] = [];
  for (let i = 0; i < cfg.services * cfg.nodes; i++) {
    const s = i % cfg.services;
    const n = Math.floor(i / cfg.services);
    all.push(
      record(s, `${serviceName(s)}-${n}-${(i * 2654435761) % 4294967296}`, 10_000 + (i % 50_000)),
    );
  }
  return all;
}

/** The watches' filters: `unfiltered` nulls, the rest two to a service, spread over the services. */
function watchPlan(cfg: Config): { filters: (string | null)[]; watched: string[] } {
  const filtered = cfg.watchers - cfg.unfiltered;
  const distinct = Math.ceil(filtered / 2);
  const watched = Array.from({ length: distinct }, (_, j) =>
    serviceName(Math.floor((j * cfg.services) / distinct)),
  );
  const filters: (string | null)[] = [];
  for (let j = 0; j < filtered; j++) filters.push(watched[j % distinct]!);
  for (let j = 0; j < cfg.unfiltered; j++) filters.push(null);
  return { filters, watched };
}

/** CPU time of this process, in microseconds. */
const selfCpu = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** CPU microseconds of the three processes, read together. */
interface CpuMark {
  controlPlane: number;
  watchers: number;
  bench: number;
}

/** One phase's registrations. */
interface Phase {
  label: string;
  registrations: number;
  seconds: number;
  latencies: number[];
  cpu: CpuMark;
  events: number;
  errors: number;
  firstError?: string;
  /** Paced phases: registrations that could not be sent on time (too many in flight). */
  late?: number;
}

/** Runs fn for 0..count-1 with at most `concurrency` in flight; records each one's latency. */
async function closedLoop(
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<void>,
): Promise<{ latencies: number[]; errors: number; firstError?: string; seconds: number }> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        try {
          await fn(i);
          latencies.push(performance.now() - t);
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message;
        }
      }
    }),
  );
  return { latencies, errors, firstError, seconds: (performance.now() - t0) / 1000 };
}

/** Re-registers the fleet round-robin at `rate` per second until stopped, at most `concurrency` in flight. */
function pacedHeartbeats(
  rate: number,
  concurrency: number,
  fleetRecords: Service[],
  clients: Registry[],
  start: number,
) {
  const latencies: number[] = [];
  const inflight = new Set<Promise<void>>();
  let sent = 0;
  let late = 0;
  let errors = 0;
  let firstError: string | undefined;
  let next = start;
  const t0 = performance.now();
  const tick = (): void => {
    const due = Math.floor(((performance.now() - t0) * rate) / 1000);
    while (sent + late < due) {
      if (inflight.size >= concurrency) {
        late++;
        continue;
      }
      const i = next++ % fleetRecords.length;
      const t = performance.now();
      const p = clients[i % clients.length]!.register(fleetRecords[i]!, { ttl: TTL }).then(
        () => void latencies.push(performance.now() - t),
        (err: Error) => {
          errors++;
          firstError ??= err.message;
        },
      );
      sent++;
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
  };
  const timer = rate > 0 ? setInterval(tick, 5) : undefined;
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all([...inflight]);
      return {
        sent,
        late,
        errors,
        firstError,
        latencies,
        seconds: (performance.now() - t0) / 1000,
        next,
      };
    },
  };
}

const script = (name: string): string => new URL(name, import.meta.url).pathname;
const addressIn = (line: string): string | undefined => /^\s+registry\s+(\S+)$/.exec(line)?.[1];
const isReadyOrFailed = (m: unknown): m is ReadyMessage | FailedMessage =>
  isReady(m) || isFailed(m);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until the watches have received `expected` events in all, for at most ms. */
async function drain(
  watchers: Child,
  expected: number,
  ms: number,
): Promise<CountedMessage & { waitedMs: number }> {
  const t0 = performance.now();
  for (;;) {
    watchers.send({ type: 'count' });
    const c = await watchers.message<CountedMessage>(isCounted, 10_000);
    const waitedMs = performance.now() - t0;
    if (c.events >= expected || waitedMs > ms) return { ...c, waitedMs };
    await sleep(50);
  }
}

/** The watchers child's clock minus ours, from the ping with the shortest round trip. */
async function clockOffset(watchers: Child): Promise<{ offsetMs: number; rttMs: number }> {
  let best = { offsetMs: 0, rttMs: Number.POSITIVE_INFINITY };
  for (let i = 0; i < 20; i++) {
    const t0 = now();
    watchers.send({ type: 'ping', t0 });
    const pong = await watchers.message<PongMessage>(
      (m): m is PongMessage => isPong(m) && m.t0 === t0,
      10_000,
    );
    const t2 = now();
    if (t2 - t0 < best.rttMs) best = { offsetMs: pong.t1 - (t0 + t2) / 2, rttMs: t2 - t0 };
  }
  return best;
}

/** Runs the registry benchmark and prints its tables and the goal verdicts. */
export async function run(): Promise<void> {
  const cfg = config();
  const ticks = clockTicks();
  const total = cfg.services * cfg.nodes;
  const needed = total / REGISTER_INTERVAL_S;
  console.log(
    `registry: ${fmt(total)} nodes (${fmt(cfg.services)} services x ${cfg.nodes}), ${cfg.watchers} watches ` +
      `(${cfg.watchers - cfg.unfiltered} filtered by service, ${cfg.unfiltered} unfiltered), ${cfg.concurrency} registrations in flight, ` +
      `${cfg.rounds} rounds of ${cfg.probes} probes at ${cfg.probeRate}/s with heartbeats at ${fmt(cfg.heartbeatRate)}/s; ` +
      `Node ${process.version}, ${os.cpus().length} CPUs, load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  if (cfg.mode === 'binary') {
    const note = ensureBinary(cfg.build);
    if (note) console.log(note);
  }

  const children = new Children();
  const offInterrupt = onInterrupt(() => children.stopAll(20_000));
  const dataDir = mkdtempSync(join(os.tmpdir(), 'micro-bench-registry-'));
  const records = fleet(cfg);
  const plan = watchPlan(cfg);
  const phases: Phase[] = [];
  const propagation: {
    round: number;
    latencies: number[];
    expected: number;
    probeRtt: number[];
    late: number;
  }[] = [];
  const memory: {
    moment: string;
    rss: number;
    hwm: number;
    anon: number;
    file: number;
    cpuS: number;
  }[] = [];
  let listing: { ms: number[]; bytes: number; nodes: number } | undefined;
  const clients = Array.from({ length: CLIENTS }, () => undefined as unknown as Registry);
  let probeClient: Registry | undefined;
  let controlPlane: Child | undefined;
  let watchers: Child | undefined;
  try {
    const nodeOptions = cfg.nodeOptions ? [cfg.nodeOptions] : [];
    if (cfg.cpuProf) {
      mkdirSync(cfg.cpuProf, { recursive: true });
      nodeOptions.push('--cpu-prof', `--cpu-prof-dir=${cfg.cpuProf}`);
    }
    if (cfg.heapSnapshot) {
      mkdirSync(cfg.heapSnapshot, { recursive: true });
      nodeOptions.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${cfg.heapSnapshot}`);
    }
    const env = cleanEnv(nodeOptions.length > 0 ? { NODE_OPTIONS: nodeOptions.join(' ') } : {});
    const [command, prefix] =
      cfg.mode === 'binary' ? [BINARY, []] : [NODE, [join(ROOT, 'bin/micro.ts')]];
    controlPlane = children.exec(
      'control plane',
      command,
      registryArgs(command, prefix, '127.0.0.1:0', dataDir),
      { env, echo: false },
    );
    const cp = controlPlane;
    const address = await cp.line(addressIn, 30_000);
    const mark = (): CpuMark => ({
      controlPlane: procCpuMicros(cp.pid, ticks),
      watchers: watchers ? procCpuMicros(watchers.pid, ticks) : 0,
      bench: selfCpu(),
    });
    const since = (m: CpuMark): CpuMark => {
      const n = mark();
      return {
        controlPlane: n.controlPlane - m.controlPlane,
        watchers: n.watchers - m.watchers,
        bench: n.bench - m.bench,
      };
    };
    const remember = (moment: string): void => {
      memory.push({
        moment,
        rss: procStatusBytes(cp.pid, 'VmRSS'),
        hwm: procStatusBytes(cp.pid, 'VmHWM'),
        anon: procStatusBytes(cp.pid, 'RssAnon'),
        file: procStatusBytes(cp.pid, 'RssFile'),
        cpuS: procCpuMicros(cp.pid, ticks) / 1e6,
      });
    };
    console.log(
      `control plane (${cfg.mode === 'binary' ? shown(BINARY) : 'node bin/micro.ts'} registry) pid ${cp.pid} at ${address}; data in ${dataDir}` +
        (nodeOptions.length > 0 ? `; NODE_OPTIONS=${nodeOptions.join(' ')}` : ''),
    );
    remember('started, empty');

    for (let i = 0; i < CLIENTS; i++)
      clients[i] = createMicroRegistry({ address, timeout: 30_000 });
    probeClient = createMicroRegistry({ address, timeout: 30_000 });

    watchers = children.spawn('watchers', script('watchers.ts'), []);
    const w = watchers;
    const { offsetMs, rttMs } = await clockOffset(w);
    w.send({ type: 'watch', address, filters: plan.filters, offsetMs });
    const ready = await w.message(isReadyOrFailed, 60_000);
    if (isFailed(ready)) throw new Error(`watchers: ${ready.error}`);
    console.log(
      `watchers pid ${w.pid}: ${plan.filters.length} watches open; clock offset ${offsetMs.toFixed(3)} ms (ping round trip ${rttMs.toFixed(3)} ms)`,
    );
    const filteredOn = (service: string): number =>
      plan.filters.filter((f) => f === service).length;
    let expectedEvents = 0;

    // Fill: every node once.
    {
      const cpu0 = mark();
      const r = await closedLoop(total, cfg.concurrency, (i) =>
        clients[i % CLIENTS]!.register(records[i]!, { ttl: TTL }),
      );
      expectedEvents += cfg.unfiltered * total + (cfg.watchers - cfg.unfiltered) * cfg.nodes;
      const d = await drain(w, expectedEvents, 120_000);
      phases.push({
        label: 'fill: new nodes',
        registrations: total,
        seconds: r.seconds,
        latencies: r.latencies,
        cpu: since(cpu0),
        events: d.events,
        errors: r.errors,
        firstError: r.firstError,
      });
      console.log(
        `  fill: ${fmt(total)} registrations in ${r.seconds.toFixed(1)} s (${fmt(total / r.seconds)}/s), ${r.errors} errors; ` +
          `watches had every event ${fmt(d.waitedMs)} ms after the last registration returned (${fmt(d.events)} of ${fmt(expectedEvents)} events)`,
      );
      remember('after the fill');
    }

    let cursor = 0;
    for (let round = 1; round <= cfg.rounds; round++) {
      // (a) Heartbeats as fast as they go: every node re-registered, unchanged.
      {
        const before = await drain(w, expectedEvents, 0);
        const cpu0 = mark();
        const r = await closedLoop(total, cfg.concurrency, (i) =>
          clients[i % CLIENTS]!.register(records[i]!, { ttl: TTL }),
        );
        const cpu = since(cpu0);
        const after = await drain(w, expectedEvents, 0);
        phases.push({
          label: 'heartbeats: unchanged, closed loop',
          registrations: total,
          seconds: r.seconds,
          latencies: r.latencies,
          cpu,
          events: after.events - before.events,
          errors: r.errors,
          firstError: r.firstError,
        });
        console.log(
          `  round ${round}/${cfg.rounds} heartbeats: ${fmt(total / r.seconds)}/s, p99 ${fmt(quantile(r.latencies, 0.99), 1)} ms, ` +
            `control plane ${fmt(cpu.controlPlane / total, 0)} us CPU each, ${r.errors} errors`,
        );
      }

      // (b) Probes while heartbeats run at the rate the fleet needs.
      {
        w.send({ type: 'collect' }); // start afresh
        await w.message<CollectedMessage>(isCollected, 10_000);
        const before = await drain(w, expectedEvents, 0);
        const cpu0 = mark();
        const beats = pacedHeartbeats(cfg.heartbeatRate, cfg.concurrency, records, clients, cursor);
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
          expectedEvents += 2 * (filteredOn(service) + cfg.unfiltered);
          const pc = probeClient;
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
        cursor = hb.next;
        const cpu = since(cpu0);
        const d = await drain(w, expectedEvents, 30_000);
        w.send({ type: 'collect' });
        const c = await w.message<CollectedMessage>(isCollected, 10_000);
        const registrations = hb.sent + 2 * cfg.probes;
        phases.push({
          label: `heartbeats at ${fmt(cfg.heartbeatRate)}/s + probes`,
          registrations,
          seconds: hb.seconds,
          latencies: hb.latencies,
          cpu,
          events: d.events - before.events,
          errors: hb.errors,
          firstError: hb.firstError,
          late: hb.late,
        });
        propagation.push({ round, latencies: c.latencies, expected, probeRtt, late: hb.late });
        console.log(
          `  round ${round}/${cfg.rounds} propagation: ${c.latencies.length}/${expected} deliveries, p50 ${fmt(quantile(c.latencies, 0.5), 1)} ` +
            `p99 ${fmt(quantile(c.latencies, 0.99), 1)} ms; ${fmt(hb.sent)} heartbeats (${fmt(hb.sent / hb.seconds)}/s, ${hb.late} late)`,
        );
      }
    }
    remember('after the rounds');

    // What `micro list services` costs with the fleet registered.
    {
      const ms: number[] = [];
      let result: Service[] = [];
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        result = await probeClient.listServices();
        ms.push(performance.now() - t);
      }
      listing = {
        ms,
        bytes: Buffer.byteLength(JSON.stringify({ services: result })),
        nodes: result.reduce((n, s) => n + s.nodes.length, 0),
      };
    }

    if (cfg.heapSnapshot) {
      const dir = cfg.heapSnapshot;
      const count = (): number =>
        readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')).length;
      const had = count();
      process.kill(cp.pid, 'SIGUSR2');
      for (let i = 0; i < 600 && count() === had; i++) await sleep(100);
      await sleep(2000); // the file appears before it is complete
      console.log(`heap snapshot written to ${dir}`);
    }
  } finally {
    offInterrupt();
    for (const c of [...clients, probeClient]) await c?.close().catch(() => undefined);
    if (watchers) await children.stop(watchers);
    await children.stopAll(30_000);
    if (cfg.cpuProf) console.log(`control plane CPU profile in ${cfg.cpuProf}`);
    report(cfg, phases, propagation, memory, listing, dataDirSize(dataDir), needed);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Bytes of the files in the data folder (the database and its WAL), read before it is removed. */
function dataDirSize(dir: string): number {
  try {
    return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  } catch {
    return Number.NaN;
  }
}

function report(
  cfg: Config,
  phases: Phase[],
  propagation: {
    round: number;
    latencies: number[];
    expected: number;
    probeRtt: number[];
    late: number;
  }[],
  memory: { moment: string; rss: number; hwm: number; anon: number; file: number; cpuS: number }[],
  listing: { ms: number[]; bytes: number; nodes: number } | undefined,
  diskBytes: number,
  needed: number,
): void {
  if (phases.length === 0) return;
  const ratio = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '-');
  const mb = (b: number): string => fmt(b / 1e6, 1);
  const verdict = (value: number, ok: boolean): string =>
    !Number.isFinite(value) ? 'n/a (not measured)' : ok ? 'MET' : 'NOT MET';

  // Rounds of the same phase are summarised by their medians.
  const labels = [...new Set(phases.map((p) => p.label))];
  const rows = labels.map((label) => {
    const list = phases.filter((p) => p.label === label);
    const m = (f: (p: Phase) => number): number => median(list.map(f));
    const rate = m((p) => p.registrations / p.seconds);
    return [
      label + (list.length > 1 ? ` (median of ${list.length})` : ''),
      fmt(m((p) => p.registrations)),
      fmt(rate),
      ratio(rate / needed),
      fmt(
        m((p) => quantile(p.latencies, 0.5)),
        2,
      ),
      fmt(
        m((p) => quantile(p.latencies, 0.99)),
        2,
      ),
      fmt(
        m((p) => p.cpu.controlPlane / p.registrations),
        0,
      ),
      fmt(
        m((p) => p.cpu.controlPlane / 1e4 / p.seconds),
        0,
      ),
      fmt(
        m((p) => p.cpu.bench / p.registrations),
        0,
      ),
      fmt(
        m((p) => p.cpu.watchers / p.registrations),
        0,
      ),
      fmt(m((p) => p.events)),
      fmt(list.reduce((n, p) => n + p.errors, 0)) +
        (list.some((p) => (p.late ?? 0) > 0)
          ? ` (${fmt(list.reduce((n, p) => n + (p.late ?? 0), 0))} late)`
          : ''),
    ];
  });
  console.log(
    `\nRegistrations: ${cfg.concurrency} in flight over ${CLIENTS} clients; x needed is the rate against ${fmt(needed)}/s ` +
      `(every node once per ${REGISTER_INTERVAL_S} s); CPU is user+sys per registration (control plane, this process, the watchers child); ` +
      `control plane % is its CPU use over the phase (100% = one core).\n`,
  );
  console.log(
    table(
      [
        'phase',
        'registrations',
        'per s',
        'x needed',
        'p50 ms',
        'p99 ms',
        'control plane us/reg',
        'control plane %',
        'bench us/reg',
        'watchers us/reg',
        'watch events',
        'errors',
      ],
      rows,
    ),
  );
  for (const p of phases)
    if (p.firstError) console.log(`  ${p.label}: first error: ${p.firstError}`);

  const all = propagation.flatMap((p) => p.latencies);
  const expectedAll = propagation.reduce((n, p) => n + p.expected, 0);
  const propRow = (label: string, lat: number[], expected: number, rtt: number[]): string[] => [
    label,
    `${fmt(lat.length)} / ${fmt(expected)}`,
    fmt(quantile(lat, 0.5), 2),
    fmt(quantile(lat, 0.9), 2),
    fmt(quantile(lat, 0.99), 2),
    fmt(Math.max(...lat), 2),
    fmt(quantile(rtt, 0.5), 2),
    fmt(quantile(rtt, 0.99), 2),
    ratio(quantile(lat, 0.99) / GOAL.propagationP99Ms),
  ];
  console.log(
    `\nWatch propagation with ${fmt(cfg.services * cfg.nodes)} nodes registered: from a probe's register() call to its event at each watch that ` +
      `should see it (2 filtered + ${cfg.unfiltered} unfiltered per probe), ${cfg.probes} probes per round at ${cfg.probeRate}/s, ` +
      `while heartbeats run at ${fmt(cfg.heartbeatRate)}/s. register() is the probe's own round trip. x goal is p99 against ${GOAL.propagationP99Ms} ms.\n`,
  );
  console.log(
    table(
      [
        'round',
        'deliveries / expected',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
        'register() p50 ms',
        'register() p99 ms',
        'x goal',
      ],
      [
        ...propagation.map((p) => propRow(`round ${p.round}`, p.latencies, p.expected, p.probeRtt)),
        propRow(
          'all rounds',
          all,
          expectedAll,
          propagation.flatMap((p) => p.probeRtt),
        ),
      ],
    ),
  );

  console.log(
    "\nControl plane memory (from /proc/<pid>/status; file-backed is mostly the executable's own code pages) and CPU\n",
  );
  console.log(
    table(
      [
        'moment',
        'VmRSS MB',
        'anonymous MB',
        'file-backed MB',
        'VmHWM (peak) MB',
        'CPU s since start',
        'x goal (RSS)',
      ],
      memory.map((m) => [
        m.moment,
        mb(m.rss),
        mb(m.anon),
        mb(m.file),
        mb(m.hwm),
        fmt(m.cpuS, 1),
        ratio(m.rss / 1e6 / GOAL.memoryMB),
      ]),
    ),
  );
  console.log(`  data folder (micro.db and its WAL) at the end: ${mb(diskBytes)} MB`);
  if (listing)
    console.log(
      `  ListServices with ${fmt(listing.nodes)} nodes: ${fmt(median(listing.ms), 1)} ms (median of ${listing.ms.length}), ${mb(listing.bytes)} MB of JSON`,
    );

  const p99 = quantile(all, 0.99);
  const lost = expectedAll - all.length;
  const fill = memory.find((m) => m.moment === 'after the fill');
  const peak = Math.max(...memory.map((m) => m.hwm));
  console.log('\nGoals:');
  console.log(
    `  watch propagation p99 <= ${GOAL.propagationP99Ms} ms: ${fmt(p99, 2)} ms over ${fmt(all.length)} deliveries` +
      `${lost > 0 ? ` (${fmt(lost)} expected deliveries missing)` : ''} -> ${verdict(p99, p99 <= GOAL.propagationP99Ms && lost <= 0)}`,
  );
  const rss = fill?.rss ?? Number.NaN;
  console.log(
    `  control plane memory <= ${GOAL.memoryMB} MB: VmRSS after the fill ${mb(rss)} MB -> ${verdict(rss, rss / 1e6 <= GOAL.memoryMB)}; ` +
      `peak (VmHWM) ${mb(peak)} MB -> ${verdict(peak, peak / 1e6 <= GOAL.memoryMB)}`,
  );
}

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
import { join } from 'node:path';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { Registry } from '../../src/registry/registry.ts';
import { BINARY, NODE, ROOT, ensureBinary, shown } from '../lib/binary.ts';
import { ownCpuMicros } from '../lib/closed-loop.ts';
import { startControlPlane } from '../lib/control-plane.ts';
import {
  cleanEnv,
  clockTicks,
  procCpuMicros,
  procStatusBytes,
  withChildren,
  type Child,
} from '../lib/processes.ts';
import { loadAverage } from '../lib/report.ts';
import { fmt } from '../lib/stats.ts';
import { fleet, watchPlan } from './fleet.ts';
import { fill, heartbeats, listing, probes, type Bench } from './phases.ts';
import { report, type Results } from './report.ts';
import { CLIENTS, config, type Config } from './settings.ts';
import { sleep, startWatchers } from './watches.ts';

/** What this benchmark measures, for `npm run bench`'s list. */
export const describe =
  'control plane with 10,000 nodes and 100 watchers: registration rate, watch propagation, memory, CPU';

/** NODE_OPTIONS for the control plane: cfg's own, and the flags of a CPU profile or a heap snapshot. */
function controlPlaneOptions(cfg: Config): string[] {
  const nodeOptions = cfg.nodeOptions ? [cfg.nodeOptions] : [];
  if (cfg.cpuProf) {
    mkdirSync(cfg.cpuProf, { recursive: true });
    nodeOptions.push('--cpu-prof', `--cpu-prof-dir=${cfg.cpuProf}`);
  }
  if (cfg.heapSnapshot) {
    mkdirSync(cfg.heapSnapshot, { recursive: true });
    nodeOptions.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${cfg.heapSnapshot}`);
  }
  return nodeOptions;
}

/** Has the control plane write a heap snapshot into dir; resolves once the file is complete. */
async function heapSnapshot(cp: Child, dir: string): Promise<void> {
  const count = (): number => readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')).length;
  const had = count();
  process.kill(cp.pid, 'SIGUSR2');
  for (let i = 0; i < 600 && count() === had; i++) await sleep(100);
  await sleep(2000); // the file appears before it is complete
  console.log(`heap snapshot written to ${dir}`);
}

/** Runs the registry benchmark and prints its tables and the goal verdicts. */
export async function run(): Promise<void> {
  const cfg = config();
  const ticks = clockTicks();
  const total = cfg.services * cfg.nodes;
  console.log(
    `registry: ${fmt(total)} nodes (${fmt(cfg.services)} services x ${cfg.nodes}), ${cfg.watchers} watches ` +
      `(${cfg.watchers - cfg.unfiltered} filtered by service, ${cfg.unfiltered} unfiltered), ${cfg.concurrency} registrations in flight, ` +
      `${cfg.rounds} rounds of ${cfg.probes} probes at ${cfg.probeRate}/s with heartbeats at ${fmt(cfg.heartbeatRate)}/s; ` +
      `Node ${process.version}, ${os.cpus().length} CPUs, load average ${loadAverage()}`,
  );
  if (cfg.mode === 'binary') {
    const note = ensureBinary(cfg.build);
    if (note) console.log(note);
  }

  const dataDir = mkdtempSync(join(os.tmpdir(), 'micro-bench-registry-'));
  const results: Results = { phases: [], propagation: [], memory: [] };
  try {
    await withChildren(async (children) => {
      const nodeOptions = controlPlaneOptions(cfg);
      const env = cleanEnv(nodeOptions.length > 0 ? { NODE_OPTIONS: nodeOptions.join(' ') } : {});
      const [command, prefix] =
        cfg.mode === 'binary' ? [BINARY, []] : [NODE, [join(ROOT, 'bin/micro.ts')]];
      const { child: cp, address } = await startControlPlane(
        children,
        command,
        prefix,
        dataDir,
        env,
      );
      const remember = (moment: string): void => {
        results.memory.push({
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

      const clients: Registry[] = Array.from({ length: CLIENTS }, () =>
        createMicroRegistry({ address, timeout: 30_000 }),
      );
      const probeClient = createMicroRegistry({ address, timeout: 30_000 });
      let watchers: Child | undefined;
      try {
        const plan = watchPlan(cfg);
        const w = await startWatchers(children, address, plan.filters);
        watchers = w;
        const b: Bench = {
          cfg,
          records: fleet(cfg),
          plan,
          clients,
          probeClient,
          watchers: w,
          mark: () => ({
            controlPlane: procCpuMicros(cp.pid, ticks),
            watchers: procCpuMicros(w.pid, ticks),
            bench: ownCpuMicros(),
          }),
          expectedEvents: 0,
          cursor: 0,
        };
        results.phases.push(await fill(b));
        remember('after the fill');
        for (let round = 1; round <= cfg.rounds; round++) {
          results.phases.push(await heartbeats(b, round));
          const p = await probes(b, round);
          results.phases.push(p.phase);
          results.propagation.push(p.propagation);
        }
        remember('after the rounds');
        results.listing = await listing(probeClient);
        if (cfg.heapSnapshot) await heapSnapshot(cp, cfg.heapSnapshot);
      } finally {
        for (const c of [...clients, probeClient]) await c.close().catch(() => undefined);
        if (watchers) await children.stop(watchers);
      }
    }, 30_000);
  } finally {
    if (cfg.cpuProf) console.log(`control plane CPU profile in ${cfg.cpuProf}`);
    report(cfg, results, dataDirSize(dataDir));
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

// What the registry benchmark measured and prints: the registration phases, the watch
// propagation of each round, the control plane's memory, and the goal verdicts.
import { ratio, verdict } from '../lib/report.ts';
import { fmt, median, quantile, table } from '../lib/stats.ts';
import { CLIENTS, REGISTER_INTERVAL_S, type Config } from './settings.ts';

/** Goals (issue 3, point 8). */
const GOAL = { propagationP99Ms: 50, memoryMB: 150 };

/** CPU microseconds of the three processes, read together. */
export interface CpuMark {
  controlPlane: number;
  watchers: number;
  bench: number;
}

/** One phase's registrations. */
export interface Phase {
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

/** One round's probes: ms from register() to each watch's event, and the register() round trips. */
export interface Propagation {
  round: number;
  latencies: number[];
  expected: number;
  probeRtt: number[];
  late: number;
}

/** The control plane's memory (bytes, from /proc/<pid>/status) and CPU seconds at a moment. */
export interface MemoryMark {
  moment: string;
  rss: number;
  hwm: number;
  anon: number;
  file: number;
  cpuS: number;
}

/** ListServices with the fleet registered: the times of three calls, and what the last returned. */
export interface Listing {
  ms: number[];
  bytes: number;
  nodes: number;
}

/** Everything the run measured, filled as it goes (a failed run reports what it has). */
export interface Results {
  phases: Phase[];
  propagation: Propagation[];
  memory: MemoryMark[];
  listing?: Listing;
}

/**
 * Prints the registrations, propagation and memory tables and the goal verdicts; nothing when no
 * phase ran. diskBytes: the data folder's size at the end.
 */
export function report(
  cfg: Config,
  { phases, propagation, memory, listing }: Results,
  diskBytes: number,
): void {
  if (phases.length === 0) return;
  const needed = (cfg.services * cfg.nodes) / REGISTER_INTERVAL_S;
  const mb = (b: number): string => fmt(b / 1e6, 1);

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
      `${lost > 0 ? ` (${fmt(lost)} expected deliveries missing)` : ''} -> ${verdict(p99, (v) => v <= GOAL.propagationP99Ms && lost <= 0)}`,
  );
  const rss = fill?.rss ?? Number.NaN;
  console.log(
    `  control plane memory <= ${GOAL.memoryMB} MB: VmRSS after the fill ${mb(rss)} MB -> ${verdict(rss, (v) => v / 1e6 <= GOAL.memoryMB)}; ` +
      `peak (VmHWM) ${mb(peak)} MB -> ${verdict(peak, (v) => v / 1e6 <= GOAL.memoryMB)}`,
  );
}

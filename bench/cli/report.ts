// What the CLI benchmark prints: the commands against node -e 0, a service's start phases, the
// sizes of the binary and of node, and the goal verdicts.
import { ratio, verdict } from '../lib/report.ts';
import { fmt, median, quantile, table } from '../lib/stats.ts';
import type { Command, Runs } from './commands.ts';
import { SERVICE, type StartSample, type Starts } from './starts.ts';

/** What the goals are checked against (issue 3, point 8). */
const GOAL = { versionRatio: 2, startMs: 100 };

/** A file's size, whole and gzipped, and whether it has a symbol table. */
export interface Size {
  file: string;
  bytes: number;
  gzip: number;
  stripped: boolean;
}

/** Prints the commands table, the start phases table, the sizes and the goal verdicts. */
export function report(
  cfg: { runs: number; startRuns: number },
  commands: Command[],
  runs: Map<string, Runs>,
  { starters, starts, baselines }: Starts,
  sizes: Size[],
): void {
  const mb = (b: number): string => fmt(b / 1024 / 1024, 1);

  console.log(
    `\nCommands: median of ${cfg.runs} interleaved rounds (wall time from spawn to exit); x node -e 0 is the median of the per-round ratios; CPU is user+sys per run.\n`,
  );
  console.log(
    table(
      ['command', 'median ms', 'p90 ms', 'min ms', 'CPU ms/run', 'x node -e 0', 'failures'],
      commands.map((c) => {
        const r = runs.get(c.key)!;
        return [
          c.label,
          fmt(median(r.ms), 1),
          fmt(quantile(r.ms, 0.9), 1),
          fmt(Math.min(...r.ms), 1),
          fmt(r.ms.length > 0 ? r.cpuUs / r.ms.length / 1000 : Number.NaN, 1),
          ratio(median(r.ratios)),
          r.failures > 0 ? `${r.failures}: ${r.firstFailure ?? ''}` : '0',
        ];
      }),
    ),
  );

  const nodeMs = median(baselines.node.map((s) => s.ms));
  const row = (label: string, values: number[], cpu?: number[], vsNode = true): string[] => [
    label,
    fmt(median(values), 1),
    fmt(quantile(values, 0.9), 1),
    fmt(Math.max(...values), 1),
    cpu ? fmt(median(cpu) / 1000, 1) : '-',
    vsNode ? ratio(median(values) / nodeMs) : '-',
  ];
  console.log(
    `\nA service's start until a client can call it: ${cfg.startRuns} rounds, each with node -e 0, a framework import and ` +
      `one start of the greeter (examples/greeter/service.ts) per way of starting it. The client is already running and ` +
      `watching ${SERVICE}; on the watch event it calls Say.Hello through its selector. The greeter prints ` +
      `"listening" after start() resolves, i.e. after the control plane accepted its registration. CPU is the ` +
      `service's (and the launcher's) user+sys until callable.\n`,
  );
  const rows = [
    row(
      'node -e 0',
      baselines.node.map((s) => s.ms),
      baselines.node.map((s) => s.cpuUs),
    ),
    row(
      'node -e "import(src/runtime/index.ts)"',
      baselines.framework.map((s) => s.ms),
      baselines.framework.map((s) => s.cpuUs),
    ),
  ];
  for (const st of starters) {
    const list = starts.get(st.key) ?? [];
    const pick = (f: (s: StartSample) => number): number[] => list.map(f);
    rows.push(
      row(
        `${st.label}: spawn -> "listening" printed`,
        pick((s) => s.listening),
      ),
      row(
        `${st.label}: spawn -> watch event at the client`,
        pick((s) => s.event),
      ),
      row(
        `${st.label}: spawn -> first successful call`,
        pick((s) => s.callable),
        pick((s) => s.cpuUs),
      ),
      row(
        `${st.label}: "listening" -> first successful call`,
        pick((s) => s.afterListening),
        undefined,
        false,
      ),
      row(
        `${st.label}: watch event -> call answered`,
        pick((s) => s.eventToCall),
        undefined,
        false,
      ),
      row(
        `${st.label}: stop, SIGTERM -> exit`,
        pick((s) => s.stop),
        undefined,
        false,
      ),
    );
    const retried = list.filter((s) => s.attempts > 1).length;
    if (retried > 0)
      console.log(
        `  ${st.label}: ${retried} of ${list.length} first calls needed more than one attempt`,
      );
  }
  console.log(table(['phase', 'median ms', 'p90 ms', 'max ms', 'CPU ms', 'x node -e 0'], rows));

  console.log('\nSizes\n');
  console.log(
    table(
      ['file', 'bytes', 'MiB', 'gzip -6 MiB', 'stripped'],
      sizes.map((s) => [s.file, fmt(s.bytes), mb(s.bytes), mb(s.gzip), s.stripped ? 'yes' : 'no']),
    ),
  );

  const versionRatio = median(runs.get('version')?.ratios ?? []);
  console.log('\nGoals:');
  console.log(
    `  micro --version within ${GOAL.versionRatio}x of node -e 0: ${ratio(versionRatio)} -> ${verdict(versionRatio, (v) => v <= GOAL.versionRatio)}`,
  );
  for (const st of starters) {
    const list = starts.get(st.key) ?? [];
    const callable = median(list.map((s) => s.callable));
    const p90 = quantile(
      list.map((s) => s.callable),
      0.9,
    );
    const after = median(list.map((s) => s.afterListening));
    const beyondNode = callable - nodeMs;
    console.log(
      `  ${st.label}, start -> callable <= ${GOAL.startMs} ms: median ${fmt(callable, 1)} ms (p90 ${fmt(p90, 1)}) -> ${verdict(callable, (v) => v <= GOAL.startMs)}; ` +
        `beyond node -e 0: ${fmt(beyondNode, 1)} ms -> ${verdict(beyondNode, (v) => v <= GOAL.startMs)}; ` +
        `after "listening": ${fmt(after, 1)} ms -> ${verdict(after, (v) => v <= GOAL.startMs)}`,
    );
  }
}

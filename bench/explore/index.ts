// Explorer benchmark: wall time from starting `micro explore` until its first screen is drawn, and
// until the services list shows the greeter (the single executable and dev mode), with
// `micro --version` and `micro list services` in the same terminal as the floor, in interleaved
// rounds.
//
// The terminal is real: script(1) (util-linux) runs each command on a pseudo-terminal of 120x40,
// as a terminal emulator would, and this process reads the pty's output as it comes. The time is
// from just before spawn until the first bytes of a frame come out: no screen polling (tmux
// capture-pane would add its polling interval), and the pty is the same kind the user's is.
// script and a shell add a few milliseconds to every row alike, floor included.
//
// A control plane (`dist/micro registry`, temporary data folder, a free port) and a greeter
// (examples/greeter/service.ts) run on 127.0.0.1 first and are ended by PID at the end.
//
// Environment: BENCH_RUNS (15 interleaved rounds after one warm-up round), BENCH_BUILD=1 (rebuild
// dist/micro first; it is always built when missing), BENCH_BINARY (another micro executable).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { BINARY, NODE, ROOT, ensureBinary, shown } from '../lib/binary.ts';
import { startControlPlane, startGreeter } from '../lib/control-plane.ts';
import {
  Children,
  childCpuMicros,
  cleanEnv,
  clockTicks,
  onInterrupt,
  type Child,
} from '../lib/processes.ts';
import { loadAverage } from '../lib/report.ts';
import { envNumber } from '../lib/settings.ts';
import { fmt, median, quantile, table } from '../lib/stats.ts';

/** What this benchmark measures, for `npm run bench`'s list. */
export const describe =
  'micro explore start-up to its first drawn screen in a pty (binary, dev) vs micro --version and list services';

/** Issue 7, point 5: the first screen within a second. */
const GOAL = { firstScreenMs: 1000 };
const SCRIPT = '/usr/bin/script';

/** One timed run in the terminal, in ms from spawn. */
interface Sample {
  /** The first frame (the explorer's header) came out; for the floor commands, undefined. */
  first?: number;
  /** The services list showed the greeter (for list services: its output did). */
  listed?: number;
  /** The process exited (the explorer after `q`). */
  exit: number;
  /** CPU time of the whole run (script, the shell and micro), user plus system. */
  cpu?: number;
}

/** One command measured in every round. */
interface Target {
  key: string;
  label: string;
  /** The shell command run in the terminal. */
  command: string;
  /** An explorer, to be quit with `q` once the list is drawn. */
  interactive: boolean;
}

function config() {
  return {
    runs: Math.round(envNumber('BENCH_RUNS', 15, 1)),
    build: process.env.BENCH_BUILD === '1',
  };
}

const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * Runs command on a 120x40 pseudo-terminal and times it. An interactive one gets `q` once the
 * greeter is on screen; anything that takes over 20 s is killed by PID and reported.
 */
function inTerminal(t: Target, env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const cp = spawn(
      SCRIPT,
      ['-q', '-f', '-e', '-c', `stty cols 120 rows 40; exec ${t.command}`, '/dev/null'],
      { env, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let out = '';
    const sample: Partial<Sample> = {};
    const timer = setTimeout(() => {
      if (cp.pid !== undefined) process.kill(cp.pid, 'SIGKILL');
    }, 20_000);
    cp.stdout.setEncoding('utf8').on('data', (d: string) => {
      const now = performance.now() - t0;
      out += d;
      if (sample.first === undefined && t.interactive && out.includes('micro explore'))
        sample.first = now;
      if (sample.listed === undefined && /greeter\s+1\.0\.0/.test(out)) {
        sample.listed = now;
        if (t.interactive) cp.stdin.write('q');
      }
    });
    cp.stderr.on('data', (d: Buffer) => (out += d.toString()));
    cp.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    cp.on('exit', (code, signal) => {
      const exit = performance.now() - t0;
      clearTimeout(timer);
      cp.stdin.destroy();
      if (code !== 0 || (t.key !== 'version' && sample.listed === undefined))
        return reject(
          new Error(
            `${t.label}: exit ${code ?? signal}; the terminal showed:\n${out.slice(-2000)}`,
          ),
        );
      resolve({ ...sample, exit });
    });
  });
}

/** Runs the explorer benchmark and prints its table and the goal verdict. */
export async function run(): Promise<void> {
  const cfg = config();
  const ticks = clockTicks();
  if (spawnSync(SCRIPT, ['--version']).status !== 0)
    throw new Error(`${SCRIPT} (util-linux) is needed to give the explorer a terminal`);
  console.log(
    `explore: ${cfg.runs} rounds in a 120x40 pty (script); ${os.cpus().length} CPUs, load average ${loadAverage()}`,
  );
  const note = ensureBinary(cfg.build);
  if (note) console.log(note);

  const bin = quote(BINARY);
  const dev = `${quote(NODE)} ${quote(join(ROOT, 'bin/micro.ts'))}`;
  const targets: Target[] = [
    {
      key: 'version',
      label: 'micro --version (binary)',
      command: `${bin} --version`,
      interactive: false,
    },
    {
      key: 'list',
      label: 'micro list services (binary)',
      command: `${bin} list services`,
      interactive: false,
    },
    {
      key: 'explore',
      label: 'micro explore (binary)',
      command: `${bin} explore`,
      interactive: true,
    },
    {
      key: 'explore-dev',
      label: 'node bin/micro.ts explore (dev)',
      command: `${dev} explore`,
      interactive: true,
    },
  ];
  const children = new Children();
  const offInterrupt = onInterrupt(() => children.stopAll());
  const dataDir = mkdtempSync(join(os.tmpdir(), 'micro-bench-explore-'));
  const samples = new Map<string, Sample[]>();
  let greeter: Child | undefined;
  try {
    const { child: controlPlane, address } = await startControlPlane(children, BINARY, [], dataDir);
    greeter = await startGreeter(children, address);
    console.log(
      `control plane (${shown(BINARY)} registry) pid ${controlPlane.pid} at ${address}, greeter pid ${greeter.pid}`,
    );

    for (const t of targets) samples.set(t.key, []);
    const env = cleanEnv({ MICRO_REGISTRY_ADDRESS: address, TERM: 'xterm-256color' });
    // One warm-up round (page cache, compile cache), then rounds in rotating order.
    for (let round = -1; round < cfg.runs; round++) {
      for (let i = 0; i < targets.length; i++) {
        const t = targets[(i + Math.max(round, 0)) % targets.length]!;
        const cpu0 = childCpuMicros(ticks);
        const s = await inTerminal(t, env);
        if (round >= 0)
          samples.get(t.key)!.push({ ...s, cpu: (childCpuMicros(ticks) - cpu0) / 1000 });
      }
    }
  } finally {
    offInterrupt();
    if (greeter) await children.stop(greeter, 15_000);
    await children.stopAll(15_000);
    rmSync(dataDir, { recursive: true, force: true });
  }

  const cell = (values: (number | undefined)[]): string => {
    const v = values.filter((x): x is number => x !== undefined);
    return v.length === 0 ? '-' : `${fmt(median(v))} (p90 ${fmt(quantile(v, 0.9))})`;
  };
  console.log();
  console.log(
    table(
      ['command, in a 120x40 pty', 'first screen ms', 'greeter listed ms', 'exit ms', 'CPU ms'],
      targets.map((t) => {
        const s = samples.get(t.key)!;
        return [
          t.label,
          cell(s.map((x) => x.first)),
          cell(s.map((x) => x.listed)),
          cell(s.map((x) => x.exit)),
          cell(s.map((x) => x.cpu)),
        ];
      }),
    ),
  );
  console.log(
    "\nmedian (p90) of the rounds. first screen: the explorer's first frame; greeter listed: the " +
      'services list (or the command\'s output) shows greeter; exit: after "q" for the explorer; CPU: ' +
      'user plus system time of the whole run (10 ms ticks), which a busy machine inflates less than wall time.',
  );
  const first = median((samples.get('explore') ?? []).map((s) => s.first ?? Number.NaN));
  const ok = first < GOAL.firstScreenMs;
  console.log(
    `\ngoal: micro explore (binary) draws its first screen in < ${GOAL.firstScreenMs} ms: ${fmt(first)} ms, ${ok ? 'met' : 'NOT met'}`,
  );
  if (!ok) process.exitCode = 1;
}

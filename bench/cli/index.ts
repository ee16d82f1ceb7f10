// CLI benchmark: wall time of `micro --version` and `micro call` (the single executable and dev mode)
// against bare `node -e 0` of the same Node 24, in interleaved rounds (commands.ts); the time from a
// service's spawn until an already-running client can call it (starts.ts); and the binary's size.
//
// Everything runs on 127.0.0.1: a control plane (`dist/micro registry`, temporary data folder, a
// free port) and the example greeter (examples/greeter/service.ts, `node`, as a user runs one) are
// started first and ended by PID at the end; the greeter that `micro call` calls is stopped before
// the start rounds, which start, call and stop greeters of their own.
//
// Environment: BENCH_RUNS (20 interleaved rounds of the commands, after one warm-up round),
// BENCH_START_RUNS (15 service starts, after one warm-up start), BENCH_BUILD=1 (rebuild dist/micro
// even when it is there; it is always built when missing), BENCH_BINARY (another micro executable
// to measure instead of dist/micro). The default run takes about 1.5 minutes.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { BINARY, NODE, ROOT, ensureBinary, gzipSize, isStripped, shown } from '../lib/binary.ts';
import { startControlPlane, startGreeter } from '../lib/control-plane.ts';
import { cleanEnv, clockTicks, timeCommand, withChildren } from '../lib/processes.ts';
import { loadAverage } from '../lib/report.ts';
import { envNumber } from '../lib/settings.ts';
import { commandList, measureCommands } from './commands.ts';
import { report, type Size } from './report.ts';
import { measureStarts } from './starts.ts';

/** What this benchmark measures, for `npm run bench`'s list. */
export const describe =
  'micro --version and micro call (binary, dev) vs node -e 0; service start until callable; binary size';

function config() {
  return {
    runs: Math.round(envNumber('BENCH_RUNS', 20, 1)),
    startRuns: Math.round(envNumber('BENCH_START_RUNS', 15, 1)),
    build: process.env.BENCH_BUILD === '1',
  };
}

/** The sizes of the binary and of the node it is built from. */
const sizes = (): Promise<Size[]> =>
  Promise.all(
    [BINARY, NODE].map(async (file) => ({
      file: shown(file),
      bytes: statSync(file).size,
      gzip: await gzipSize(file),
      stripped: isStripped(file),
    })),
  );

/** Runs the CLI benchmark and prints its tables and the goal verdicts. */
export async function run(): Promise<void> {
  const cfg = config();
  const ticks = clockTicks();
  const version = (
    JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
  ).version;
  const nodeVersion = (await timeCommand(NODE, ['--version'], cleanEnv())).stdout.trim();
  if (!nodeVersion.startsWith('v24.'))
    throw new Error(
      `${NODE} is ${nodeVersion || 'missing'}; run npm ci (the benchmark needs Node 24)`,
    );
  console.log(
    `cli: ${cfg.runs} rounds of the commands, ${cfg.startRuns} service starts; Node ${nodeVersion} ` +
      `(${shown(NODE)}), ${os.cpus().length} CPUs, load average ${loadAverage()}`,
  );

  // The binary: built when missing (or asked), else checked against the sources it was built from.
  const note = ensureBinary(cfg.build);
  if (note) console.log(note);
  const files = await sizes();

  const dataDir = mkdtempSync(join(os.tmpdir(), 'micro-bench-cli-'));
  try {
    const measured = await withChildren(async (children) => {
      const cp = await startControlPlane(children, BINARY, [], dataDir);
      const greeter = await startGreeter(children, cp.address);
      console.log(
        `control plane (${shown(BINARY)} registry) pid ${cp.child.pid} at ${cp.address}, greeter pid ${greeter.pid}; data in ${dataDir}`,
      );
      const commands = commandList(version, cp.address);
      let runs: Awaited<ReturnType<typeof measureCommands>>;
      try {
        runs = await measureCommands(commands, cfg.runs, ticks);
      } finally {
        // Before the control plane, so that it deregisters; and the start rounds call the
        // greeters they start, so no other may answer them.
        await children.stop(greeter, 15_000);
      }
      const starts = await measureStarts(children, cp.address, dataDir, cfg.startRuns, ticks);
      return { commands, runs, starts };
    }, 15_000);
    report(cfg, measured.commands, measured.runs, measured.starts, files);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

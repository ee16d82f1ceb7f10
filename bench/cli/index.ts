// CLI benchmark: wall time of `micro --version` and `micro call` (the single executable and dev mode)
// against bare `node -e 0` of the same Node 24, in interleaved rounds; the time from a service's
// spawn until an already-running client can call it; and the binary's size.
//
// Everything runs on 127.0.0.1: a control plane (`dist/micro registry`, temporary data folder, a
// free port) and a greeter service (bench/cli/greeter.ts, `node`, as a user runs one) are started
// first and ended by PID at the end.
//
// Environment: BENCH_RUNS (20 interleaved rounds of the commands, after one warm-up round),
// BENCH_START_RUNS (15 service starts, after one warm-up start), BENCH_BUILD=1 (rebuild dist/micro
// even when it is there; it is always built when missing), BENCH_BINARY (another micro executable
// to measure instead of dist/micro). The default run takes about 1.5 minutes.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient } from '../../src/runtime/index.ts';
import {
  Children,
  childCpuMicros,
  cleanEnv,
  clockTicks,
  onInterrupt,
  procCpuMicros,
  timeCommand,
  type Child,
} from '../lib/processes.ts';
import { fmt, median, quantile, table } from '../lib/stats.ts';
import {
  BINARY,
  NODE,
  ROOT,
  ensureBinary,
  gzipSize,
  isStripped,
  registryArgs,
  shown,
} from '../lib/binary.ts';

/** What this benchmark measures, for `npm run bench`'s list. */
export const describe =
  'micro --version and micro call (binary, dev) vs node -e 0; service start until callable; binary size';

/** What the goals are checked against (issue 3, point 8). */
const GOAL = { versionRatio: 2, startMs: 100 };

/** The name the started-and-stopped greeter registers under, apart from the `greeter` that `micro call` calls. */
const BOOT_SERVICE = 'greeter-start';

function config() {
  const num = (name: string, fallback: number, min: number): number => {
    const raw = process.env[name];
    const n = raw === undefined || raw === '' ? fallback : Number(raw);
    if (!Number.isFinite(n) || n < min)
      throw new Error(`${name} must be a number >= ${min}, got "${raw}"`);
    return Math.round(n);
  };
  return {
    runs: num('BENCH_RUNS', 20, 1),
    startRuns: num('BENCH_START_RUNS', 15, 1),
    build: process.env.BENCH_BUILD === '1',
  };
}

/** One short command timed in every round. */
interface Command {
  key: string;
  label: string;
  command: string;
  args: string[];
  /** Why the output is wrong, or undefined when it is right. */
  check: (stdout: string) => string | undefined;
}

/** One command's runs. */
interface Runs {
  ms: number[];
  ratios: number[];
  cpuUs: number;
  failures: number;
  firstFailure?: string;
}

const script = (name: string): string => new URL(name, import.meta.url).pathname;
const addressIn = (line: string): string | undefined => /^\s+registry\s+(\S+)$/.exec(line)?.[1];
const listeningIn = (line: string): number | undefined =>
  line.includes(' listening on ') ? performance.now() : undefined;

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
      `(${shown(NODE)}), ${os.cpus().length} CPUs, load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );

  // The binary: built when missing (or asked), else checked against the sources it was built from.
  const note = ensureBinary(cfg.build);
  if (note) console.log(note);
  const sizes = await Promise.all(
    [BINARY, NODE].map(async (file) => ({
      file: shown(file),
      bytes: statSync(file).size,
      gzip: await gzipSize(file),
      stripped: isStripped(file),
    })),
  );

  const children = new Children();
  const offInterrupt = onInterrupt(() => children.stopAll());
  const dataDir = mkdtempSync(join(os.tmpdir(), 'micro-bench-cli-'));
  const commandRuns = new Map<string, Runs>();
  const starts = new Map<string, StartSample[]>();
  const starters: Starter[] = [];
  const baselines = { node: [] as Sample[], framework: [] as Sample[] };
  let commands: Command[] = [];
  let greeter: Child | undefined;
  try {
    const controlPlane = children.exec(
      'control plane',
      BINARY,
      registryArgs(BINARY, [], '127.0.0.1:0', dataDir),
      { env: cleanEnv(), echo: false },
    );
    const address = await controlPlane.line(addressIn, 30_000);
    const serviceEnv = {
      MICRO_REGISTRY: 'micro',
      MICRO_REGISTRY_ADDRESS: address,
      MICRO_SERVER_ADDRESS: '127.0.0.1:0',
    };
    greeter = children.exec('greeter', NODE, [script('greeter.ts')], {
      env: cleanEnv(serviceEnv),
      echo: false,
    });
    await greeter.line(listeningIn, 30_000);
    console.log(
      `control plane (${shown(BINARY)} registry) pid ${controlPlane.pid} at ${address}, greeter pid ${greeter.pid}; data in ${dataDir}`,
    );

    const hello = (out: string): string | undefined => {
      try {
        const msg = (JSON.parse(out) as { msg?: unknown }).msg;
        return msg === 'Hello Ann' ? undefined : `answered ${out.trim().slice(0, 200)}`;
      } catch {
        return `printed ${out.trim().slice(0, 200) || 'nothing'}`;
      }
    };
    const prints = (want: string) => (out: string) =>
      out.trim() === want ? undefined : `printed ${out.trim().slice(0, 200) || 'nothing'}`;
    const call = ['call', 'greeter', 'Say.Hello', '{"name":"Ann"}', '--registry-address', address];
    const devEntry = join(ROOT, 'bin/micro.ts');
    commands = [
      { key: 'node', label: 'node -e 0', command: NODE, args: ['-e', '0'], check: () => undefined },
      {
        key: 'version',
        label: 'micro --version (binary)',
        command: BINARY,
        args: ['--version'],
        check: prints(version),
      },
      {
        key: 'version-dev',
        label: 'node bin/micro.ts --version (dev)',
        command: NODE,
        args: [devEntry, '--version'],
        check: prints(version),
      },
      {
        key: 'call',
        label: 'micro call greeter Say.Hello (binary)',
        command: BINARY,
        args: call,
        check: hello,
      },
      {
        key: 'call-dev',
        label: 'node bin/micro.ts call greeter Say.Hello (dev)',
        command: NODE,
        args: [devEntry, ...call],
        check: hello,
      },
    ];
    for (const c of commands) commandRuns.set(c.key, { ms: [], ratios: [], cpuUs: 0, failures: 0 });

    // Commands: one warm-up round (page cache, the addon cache), then interleaved rounds.
    const env = cleanEnv();
    for (let round = -1; round < cfg.runs; round++) {
      const order = commands.map((_, i) => commands[(i + Math.max(round, 0)) % commands.length]!);
      const inRound = new Map<string, number>();
      for (const c of order) {
        const cpu0 = childCpuMicros(ticks);
        const r = await timeCommand(c.command, c.args, env);
        const cpu = childCpuMicros(ticks) - cpu0;
        if (round < 0) continue;
        const runs = commandRuns.get(c.key)!;
        const wrong =
          r.code !== 0
            ? `exit ${r.code ?? r.signal}: ${r.stderr.trim().slice(0, 200)}`
            : c.check(r.stdout);
        if (wrong) {
          runs.failures++;
          runs.firstFailure ??= wrong;
          continue;
        }
        runs.ms.push(r.ms);
        runs.cpuUs += cpu;
        inRound.set(c.key, r.ms);
      }
      const base = inRound.get('node');
      for (const [key, ms] of inRound)
        if (base !== undefined) commandRuns.get(key)!.ratios.push(ms / base);
      if (round >= 0 && (round + 1) % 5 === 0)
        console.log(
          `  round ${round + 1}/${cfg.runs}: ${order
            .map((c) => `${c.key} ${fmt(inRound.get(c.key) ?? Number.NaN, 0)} ms`)
            .join(', ')}`,
        );
    }

    // A service's start until a client can call it, as a user starts one: `node greeter.ts`
    // (dev mode, the framework from src/) and `micro run greeter.ts` (the binary provides it).
    const binaryGreeter = join(dataDir, 'greeter.ts');
    const source = readFileSync(script('greeter.ts'), 'utf8');
    const framework = "from '../../src/runtime/index.ts'";
    if (!source.includes(framework)) throw new Error(`greeter.ts no longer imports ${framework}`);
    writeFileSync(binaryGreeter, source.replace(framework, "from 'micro-ts'"));
    starters.push(
      {
        key: 'dev',
        label: 'node greeter.ts',
        command: NODE,
        args: [script('greeter.ts')],
      },
      {
        key: 'binary',
        label: 'micro run greeter.ts',
        command: BINARY,
        args: ['run', binaryGreeter, '--registry-address', address, '--data-dir', dataDir],
      },
    );
    for (const st of starters) starts.set(st.key, []);
    const client = await startClient(address);
    try {
      const frameworkImport = `import(${JSON.stringify(join(ROOT, 'src/runtime/index.ts'))})`;
      const serviceEnvClean = cleanEnv({ ...serviceEnv, BENCH_GREETER_NAME: BOOT_SERVICE });
      for (let i = -1; i < cfg.startRuns; i++) {
        const node = await timed(ticks, NODE, ['-e', '0'], env);
        const framework = await timed(ticks, NODE, ['-e', frameworkImport], env);
        const inRound: StartSample[] = [];
        const order = i % 2 === 0 ? starters : [...starters].reverse();
        for (const st of order) {
          const s = await startOnce(children, client, st, serviceEnvClean, ticks);
          if (i >= 0) starts.get(st.key)!.push(s);
          inRound.push(s);
        }
        if (i < 0) continue;
        baselines.node.push(node);
        baselines.framework.push(framework);
        if ((i + 1) % 5 === 0)
          console.log(
            `  start ${i + 1}/${cfg.startRuns}: node -e 0 ${fmt(node.ms, 0)} ms; ` +
              order
                .map((st, k) => `${st.label} callable after ${fmt(inRound[k]!.callable, 0)} ms`)
                .join('; '),
          );
      }
    } finally {
      await client.close();
    }
  } finally {
    offInterrupt();
    // The services first, so that they can deregister from the control plane.
    if (greeter) await children.stop(greeter, 15_000);
    await children.stopAll(15_000);
    rmSync(dataDir, { recursive: true, force: true });
  }
  report(cfg, commands, commandRuns, starters, starts, baselines, sizes);
}

/** A timed short command with its CPU time. */
interface Sample {
  ms: number;
  cpuUs: number;
}

async function timed(
  ticks: number,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<Sample> {
  const cpu0 = childCpuMicros(ticks);
  const r = await timeCommand(command, args, env);
  if (r.code !== 0)
    throw new Error(`${command} ${args.join(' ')}: exit ${r.code ?? r.signal}: ${r.stderr}`);
  return { ms: r.ms, cpuUs: childCpuMicros(ticks) - cpu0 };
}

/** The already-running client: a registry watch on the started service, and a client to call it. */
interface StartClient {
  /** Resolves with the time the watch reports a node it has not seen before, and that node's PID. */
  nextNode(ms: number): Promise<{ at: number; pid: number }>;
  call(): Promise<unknown>;
  close(): Promise<void>;
}

async function startClient(address: string): Promise<StartClient> {
  const registry = createMicroRegistry({ address });
  const client = createClient({ registry });
  const watcher = registry.watch({ service: BOOT_SERVICE });
  const seen = new Set<string>();
  const fresh: { at: number; pid: number }[] = [];
  let waiting: (() => void) | undefined;
  void (async () => {
    for await (const ev of watcher) {
      if (ev.action === 'delete') continue;
      const at = performance.now();
      for (const n of ev.service.nodes) {
        if (seen.has(n.id)) continue;
        seen.add(n.id);
        fresh.push({ at, pid: Number(n.metadata.pid) });
        waiting?.();
      }
    }
  })();
  // A deregister waits until the watch is in place on the server (the client's ready mark), and
  // removes nothing here: from then on, every registration of the service reaches this watch.
  await registry.deregister({
    name: BOOT_SERVICE,
    version: '-',
    metadata: {},
    endpoints: [],
    nodes: [],
  });
  return {
    // Starts are one at a time, and each is stopped (deregistered) before the next: a node not
    // seen before is the one just started.
    nextNode: (ms) =>
      new Promise((resolve, reject) => {
        const take = (): boolean => {
          const next = fresh.shift();
          if (!next) return false;
          clearTimeout(timer);
          waiting = undefined;
          resolve(next);
          return true;
        };
        const timer = setTimeout(() => {
          waiting = undefined;
          reject(new Error(`the watch reported no new node of ${BOOT_SERVICE} within ${ms} ms`));
        }, ms);
        if (!take()) waiting = take;
      }),
    call: () => client.call(BOOT_SERVICE, 'Say.Hello', { name: 'Ann' }, { timeout: 2000 }),
    async close() {
      watcher.stop();
      await client.close();
      await registry.close();
    },
  };
}

/** One way of starting the greeter. */
interface Starter {
  key: string;
  label: string;
  command: string;
  args: string[];
}

/** One start, in ms from spawn (except afterListening, from the "listening" line). */
interface StartSample {
  listening: number;
  event: number;
  callable: number;
  afterListening: number;
  eventToCall: number;
  /** CPU the service process used until it was callable. */
  cpuUs: number;
  /** SIGTERM until the process exited (deregisters, drains). */
  stop: number;
  attempts: number;
}

async function startOnce(
  children: Children,
  client: StartClient,
  starter: Starter,
  env: Record<string, string>,
  ticks: number,
): Promise<StartSample> {
  const t0 = performance.now();
  const child: Child = children.exec(starter.label, starter.command, starter.args, {
    env,
    echo: false,
  });
  try {
    const listening = child.line(listeningIn, 30_000);
    listening.catch(() => undefined);
    const node = await client.nextNode(30_000);
    // The watch said the node is there: call it the way any client does (through the selector),
    // retrying only if an attempt fails, for at most 10 s.
    let attempts = 0;
    let callable = Number.NaN;
    for (const deadline = performance.now() + 10_000; ;) {
      attempts++;
      try {
        const rsp = (await client.call()) as { msg?: string };
        if (rsp.msg !== 'Hello Ann') throw new Error(`unexpected answer ${JSON.stringify(rsp)}`);
        callable = performance.now();
        break;
      } catch (err) {
        if (performance.now() + 1 >= deadline) throw err;
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    // CPU until callable: the service process, and the launcher when that is another process.
    let cpuUs = procCpuMicros(node.pid, ticks);
    if (node.pid !== child.pid) cpuUs += procCpuMicros(child.pid, ticks);
    const listened = await listening;
    const s0 = performance.now();
    await children.stop(child, 10_000);
    return {
      listening: listened - t0,
      event: node.at - t0,
      callable: callable - t0,
      afterListening: callable - listened,
      eventToCall: callable - node.at,
      cpuUs,
      stop: performance.now() - s0,
      attempts,
    };
  } finally {
    await children.stop(child, 10_000);
  }
}

function report(
  cfg: ReturnType<typeof config>,
  commands: Command[],
  runs: Map<string, Runs>,
  starters: Starter[],
  starts: Map<string, StartSample[]>,
  baselines: { node: Sample[]; framework: Sample[] },
  sizes: { file: string; bytes: number; gzip: number; stripped: boolean }[],
): void {
  const ratio = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '-');
  const mb = (b: number): string => fmt(b / 1024 / 1024, 1);
  const verdict = (value: number, ok: boolean): string =>
    !Number.isFinite(value) ? 'n/a (not measured)' : ok ? 'MET' : 'NOT MET';

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
      `one start of the greeter (bench/cli/greeter.ts) per way of starting it. The client is already running and ` +
      `watching ${BOOT_SERVICE}; on the watch event it calls Say.Hello through its selector. The greeter prints ` +
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
    `  micro --version within ${GOAL.versionRatio}x of node -e 0: ${ratio(versionRatio)} -> ${verdict(versionRatio, versionRatio <= GOAL.versionRatio)}`,
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
      `  ${st.label}, start -> callable <= ${GOAL.startMs} ms: median ${fmt(callable, 1)} ms (p90 ${fmt(p90, 1)}) -> ${verdict(callable, callable <= GOAL.startMs)}; ` +
        `beyond node -e 0: ${fmt(beyondNode, 1)} ms -> ${verdict(beyondNode, beyondNode <= GOAL.startMs)}; ` +
        `after "listening": ${fmt(after, 1)} ms -> ${verdict(after, after <= GOAL.startMs)}`,
    );
  }
}

// A service's start until an already-running client can call it, as a user starts one: `node
// examples/greeter/service.ts` (dev mode, the framework from src/) and `micro run greeter.ts` (the
// binary provides the framework), with `node -e 0` and a bare framework import timed beside them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BINARY, NODE, ROOT } from '../lib/binary.ts';
import { GREETER, listeningIn, serviceEnv } from '../lib/control-plane.ts';
import {
  childCpuMicros,
  cleanEnv,
  procCpuMicros,
  timeCommand,
  type Child,
  type Children,
} from '../lib/processes.ts';
import { fmt } from '../lib/stats.ts';
import { startClient, type StartClient } from './start-client.ts';

/** The service started, watched and called: the example greeter. */
export const SERVICE = 'greeter';

/** A timed short command with its CPU time. */
export interface Sample {
  ms: number;
  cpuUs: number;
}

/** One way of starting the greeter. */
export interface Starter {
  key: string;
  label: string;
  command: string;
  args: string[];
}

/** One start, in ms from spawn (except afterListening, from the "listening" line). */
export interface StartSample {
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

/** What the start rounds measured: each way of starting, its starts, and the two baselines. */
export interface Starts {
  starters: Starter[];
  starts: Map<string, StartSample[]>;
  baselines: { node: Sample[]; framework: Sample[] };
}

/**
 * One warm-up round, then `rounds` rounds of node -e 0, a framework import and one start of the
 * greeter per way of starting it, on the control plane at address (with `micro run`'s data in
 * dataDir). No other greeter may be registered there: the client calls whichever it finds.
 */
export async function measureStarts(
  children: Children,
  address: string,
  dataDir: string,
  rounds: number,
  ticks: number,
): Promise<Starts> {
  // `micro run` provides the framework as micro-ts: a copy of the greeter that imports it.
  const binaryGreeter = join(dataDir, 'greeter.ts');
  const source = readFileSync(GREETER, 'utf8');
  const framework = "from '../../src/runtime/index.ts'";
  if (!source.includes(framework)) throw new Error(`${GREETER} no longer imports ${framework}`);
  writeFileSync(binaryGreeter, source.replace(framework, "from 'micro-ts'"));
  const starters: Starter[] = [
    {
      key: 'dev',
      label: 'node greeter/service.ts',
      command: NODE,
      args: [GREETER],
    },
    {
      key: 'binary',
      label: 'micro run greeter.ts',
      command: BINARY,
      args: ['run', binaryGreeter, '--registry-address', address, '--data-dir', dataDir],
    },
  ];
  const starts = new Map<string, StartSample[]>(starters.map((st) => [st.key, []]));
  const baselines = { node: [] as Sample[], framework: [] as Sample[] };
  const env = cleanEnv();
  const client = await startClient(address, SERVICE);
  try {
    const frameworkImport = `import(${JSON.stringify(join(ROOT, 'src/runtime/index.ts'))})`;
    const serviceEnvClean = cleanEnv(serviceEnv(address));
    for (let i = -1; i < rounds; i++) {
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
          `  start ${i + 1}/${rounds}: node -e 0 ${fmt(node.ms, 0)} ms; ` +
            order
              .map((st, k) => `${st.label} callable after ${fmt(inRound[k]!.callable, 0)} ms`)
              .join('; '),
        );
    }
    return { starters, starts, baselines };
  } finally {
    await client.close();
  }
}

/** Runs a short command to completion; throws unless it exits 0. */
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

/** Starts the greeter one way and times it until the client's first successful call, then stops it. */
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
    stderr: 'tail',
  });
  try {
    const listening = child.line(listeningIn, 30_000);
    listening.catch(() => undefined);
    // A greeter that exits before it listens fails the start at once, with its last stderr lines.
    const exited = listening.then(() => new Promise<never>(() => undefined));
    exited.catch(() => undefined);
    const node = await Promise.race([client.nextNode(30_000), exited]);
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

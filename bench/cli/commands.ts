// The short commands the CLI benchmark times from spawn to exit: `node -e 0`, `micro --version`
// and `micro call` (the binary and dev mode), one warm-up round then interleaved rounds.
import { join } from 'node:path';
import { BINARY, NODE, ROOT } from '../lib/binary.ts';
import { childCpuMicros, cleanEnv, timeCommand } from '../lib/processes.ts';
import { fmt } from '../lib/stats.ts';

/** One short command timed in every round. */
export interface Command {
  key: string;
  label: string;
  command: string;
  args: string[];
  /** Why the output is wrong, or undefined when it is right. */
  check: (stdout: string) => string | undefined;
}

/** One command's runs. */
export interface Runs {
  ms: number[];
  ratios: number[];
  cpuUs: number;
  failures: number;
  firstFailure?: string;
}

/** What `--version` must print (version), and `micro call greeter` against the control plane at address. */
export function commandList(version: string, address: string): Command[] {
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
  return [
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
}

/**
 * Runs the commands once (page cache, the addon cache), then in `rounds` rounds of rotating order;
 * resolves with each one's runs, its ratios taken against `node -e 0` in the same round.
 */
export async function measureCommands(
  commands: Command[],
  rounds: number,
  ticks: number,
): Promise<Map<string, Runs>> {
  const commandRuns = new Map<string, Runs>();
  for (const c of commands) commandRuns.set(c.key, { ms: [], ratios: [], cpuUs: 0, failures: 0 });
  const env = cleanEnv();
  for (let round = -1; round < rounds; round++) {
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
        `  round ${round + 1}/${rounds}: ${order
          .map((c) => `${c.key} ${fmt(inRound.get(c.key) ?? Number.NaN, 0)} ms`)
          .join(', ')}`,
      );
  }
  return commandRuns;
}

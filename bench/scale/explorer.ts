// `micro explore` with a large fleet, in a real terminal: a private tmux server runs it (120x40)
// against the control plane; its memory (VmRSS) is read idle and while the registry churns.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Registry } from '../../src/registry/registry.ts';
import { procStatusBytes } from '../lib/processes.ts';
import { median } from '../lib/stats.ts';
import { churn } from './load.ts';
import type { Micro } from './micro-run.ts';

const TMUX = '/usr/bin/tmux';
/** How often RSS is read. */
const SAMPLE_MS = 200;

/** The explorer's memory: idle, and the peak during each churn. */
export interface ExplorerFigures {
  /** Median VmRSS over a few seconds once the list is drawn, bytes. */
  idle: number;
  /** Seconds from start until the list showed the whole fleet. */
  listedS: number;
  churn: { rate: number; peak: number; changes: number; errors: number }[];
}

/** VmRSS of pid sampled every SAMPLE_MS while fn runs; resolves with fn's value and the samples. */
async function sampling<T>(
  pid: number,
  fn: () => Promise<T>,
): Promise<{ value: T; rss: number[] }> {
  const rss: number[] = [];
  const timer = setInterval(() => rss.push(procStatusBytes(pid, 'VmRSS')), SAMPLE_MS);
  try {
    return { value: await fn(), rss };
  } finally {
    clearInterval(timer);
  }
}

const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * Runs `micro explore` on its own tmux server against registry, waits (bounded) for the list to
 * count at least n services, then reads its RSS idle and during a churn at each rate.
 */
export async function explorer(
  m: Micro,
  registry: string,
  clients: Registry[],
  n: number,
  rates: number[],
  churnMs: number,
): Promise<ExplorerFigures> {
  if (spawnSync(TMUX, ['-V']).status !== 0)
    throw new Error(`${TMUX} is needed to give the explorer a terminal`);
  // A server of our own: the user's tmux sessions are never touched, and kill-server ends only this.
  const socket = `micro-bench-scale-${process.pid}-${Date.now()}`;
  const tmux = (...args: string[]): string =>
    execFileSync(TMUX, ['-L', socket, ...args], { encoding: 'utf8' });
  const home = mkdtempSync(join(os.tmpdir(), 'micro-bench-scale-home-'));
  // exec: the pane's process is the explorer itself, so its PID is the one measured.
  const command = [
    'exec env -i',
    `HOME=${quote(home)}`,
    'TERM=tmux-256color',
    `MICRO_REGISTRY_ADDRESS=${registry}`,
    quote(m.command),
    ...m.prefix.map(quote),
    'explore',
  ].join(' ');
  let pid = NaN;
  let socketPath = '';
  try {
    tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'explore', '-x', '120', '-y', '40', command);
    socketPath = tmux('display-message', '-p', '#{socket_path}').trim();
    pid = Number(tmux('display-message', '-p', '-t', 'explore', '#{pane_pid}').trim());
    const t0 = performance.now();
    const deadline = t0 + 120_000;
    let screen = '';
    for (;;) {
      screen = tmux('capture-pane', '-p', '-t', 'explore');
      const shown = Number(/SERVICES \((\d+)/.exec(screen)?.[1] ?? 0);
      if (shown >= n) break;
      if (performance.now() > deadline)
        throw new Error(
          `the explorer never listed ${n} services in 120 s; its screen was:\n${screen}`,
        );
      await sleep(100);
    }
    const listedS = (performance.now() - t0) / 1000;
    await sleep(2000); // what it does right after drawing (the first health checks) is not idle
    const idle = await sampling(pid, () => sleep(3000));
    const figures: ExplorerFigures = { idle: median(idle.rss), listedS, churn: [] };
    for (const rate of rates) {
      const { value, rss } = await sampling(pid, async () => {
        const c = churn(clients, n, rate, churnMs + 5000);
        await sleep(churnMs);
        return c.stop();
      });
      figures.churn.push({
        rate,
        peak: Math.max(...rss.filter(Number.isFinite)),
        changes: value.changes,
        errors: value.errors,
      });
    }
    tmux('send-keys', '-t', 'explore', 'q');
    return figures;
  } finally {
    for (let i = 0; i < 50 && Number.isFinite(pid) && procStatusBytes(pid, 'VmRSS') >= 0; i++)
      await sleep(100);
    spawnSync(TMUX, ['-L', socket, 'kill-server']);
    if (Number.isFinite(pid) && procStatusBytes(pid, 'VmRSS') >= 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (socketPath.includes(socket)) rmSync(socketPath, { force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

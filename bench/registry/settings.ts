// The registry benchmark's settings, from the environment (see index.ts), and its fixed figures.
import { resolve } from 'node:path';
import { envNumber } from '../lib/settings.ts';

/** The lease every benchmark registration asks for: longer than the run, so none expires mid-way. */
export const TTL = 300_000;
/** The default register interval, which sets the heartbeat rate a registry must sustain. */
export const REGISTER_INTERVAL_S = 10;
/** Registry clients the registrations are spread over (8 connections each). */
export const CLIENTS = 4;

/** The settings from the environment, checked before anything starts. */
export function config() {
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
/** The registry benchmark's settings. */
export type Config = ReturnType<typeof config>;

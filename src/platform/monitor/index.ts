// The monitor area: the control plane's view of every node's health and its history (monitor.ts),
// and the table of its implementations. Light to import.
import type { Client } from '../../runtime/client/client.ts';
import { pickPlugin } from '../../runtime/plugins.ts';
import { createMicroMonitor, type MicroMonitorOptions } from './client.ts';
import { createMemoryMonitor } from './memory.ts';
import type { Monitor } from './monitor.ts';

export type * from './monitor.ts';
export { createMemoryMonitor, createMicroMonitor };
export type { MemoryMonitor, MemoryMonitorOptions } from './memory.ts';
export type { MicroMonitorOptions } from './client.ts';
export type { HealthAnswer, Observed, ProbeResult } from './tracker.ts';

/** The monitors by name: MICRO_MONITOR picks from it. */
export const monitors = {
  /** The control plane's `monitor` service; the default. */
  micro: createMicroMonitor,
  /** In this process (fed by a runner over a registry and client you give). */
  memory: createMemoryMonitor,
} satisfies Record<string, (options?: MicroMonitorOptions) => Monitor>;

/** The monitor named by MICRO_MONITOR (default `micro`, the control plane's). */
export function monitorFromEnv(env: NodeJS.ProcessEnv, defaults: { client?: Client }): Monitor {
  const make = pickPlugin<(options?: MicroMonitorOptions) => Monitor>(
    monitors,
    'monitor',
    env.MICRO_MONITOR || 'micro',
    'MICRO_MONITOR',
  );
  return make(defaults);
}

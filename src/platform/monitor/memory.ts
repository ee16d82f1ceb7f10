// The monitor in this process: the control plane's runner and tracker over a registry and a client
// you give, its history in memory. For tests and for a program that watches a fleet itself; it
// marks nothing in the registry (only the control plane serves marks).
import type { Registry } from '../../registry/registry.ts';
import type { Client } from '../../runtime/client/client.ts';
import { memoryHistory } from './history.ts';
import type { Monitor, NodeStatus, StatusChange } from './monitor.ts';
import { startRunner, type Runner } from './runner.ts';
import { createTracker, type Observed, type ProbeResult } from './tracker.ts';

/** Options of the in-process monitor. */
export interface MemoryMonitorOptions {
  /** Where the nodes are listed; with client, nodes are probed (else it is fed by observe). */
  registry?: Registry;
  /** Calls each node's Debug.Health. */
  client?: Client;
  /** Ms between rounds (default 10 s). */
  interval?: number;
  /** Ms a probe may take (default 5 s). */
  timeout?: number;
  /** Failed probes in a row that make a node unhealthy (default 2). */
  failures?: number;
  /** Changes kept (default 10,000). */
  keep?: number;
  /** Told of each change. */
  onChange?: (change: StatusChange, status: NodeStatus) => void;
}

/** A Monitor in memory, also taking probes' results directly (observe). */
export interface MemoryMonitor extends Monitor {
  /** Takes a probe's result; returns the node's status, and the change it made if any. */
  observe(probe: ProbeResult): Observed;
}

/** Creates the in-process monitor; it probes when given a registry and a client. */
export function createMemoryMonitor(options: MemoryMonitorOptions = {}): MemoryMonitor {
  const tracker = createTracker({
    history: memoryHistory(options.keep),
    failures: options.failures,
  });
  let runner: Runner | undefined;
  if (options.registry && options.client)
    runner = startRunner({
      registry: options.registry,
      client: options.client,
      tracker,
      interval: options.interval,
      timeout: options.timeout,
      onChange: options.onChange,
    });
  return {
    status: (q) => tracker.status(q),
    history: (q) => tracker.history(q),
    observe: (p) => tracker.observe(p),
    close: async () => {
      await runner?.stop();
      await tracker.close();
    },
  };
}

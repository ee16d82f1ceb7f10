// The monitor's probing loop: every `interval` ms it lists every node in the registry and calls
// Debug.Health on each, directly at its address, at most `concurrency` at a time, each within
// `timeout` ms, and feeds the answers to the tracker. A node gone from the registry is forgotten
// (its status too: the registry's own events say it went). Limits: a round that takes longer than
// the interval delays the next (rounds never overlap); nodes of topic entries (the http broker's
// subscriber lists) are not probed; an app behind a sidecar, which has no Debug.Health, is healthy
// while it answers (the sidecar registers it only while it is up).
import type { Node, Registry, Service } from '../../registry/registry.ts';
import { isTopic } from '../../registry/topics.ts';
import type { Client } from '../../runtime/client/client.ts';
import { toMicroError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/server/server.ts';
import type { NodeStatus, StatusChange } from './monitor.ts';
import { nodeKey, type HealthAnswer, type ProbeResult, type Tracker } from './tracker.ts';

/** Defaults of the runner (MICRO_MONITOR_INTERVAL, the probe's timeout, probes at once). */
export const RUNNER_DEFAULTS = { interval: 10_000, timeout: 5000, concurrency: 32 } as const;

/** What the runner needs and whom it tells. */
export interface RunnerOptions {
  /** Where the nodes are listed. */
  registry: Registry;
  /** Calls each node directly. */
  client: Client;
  /** Takes each probe's result. */
  tracker: Tracker;
  /** Ms between the starts of two rounds (default 10 s). */
  interval?: number;
  /** Ms each probe may take (default 5 s). */
  timeout?: number;
  /** Probes at once, at most (default 32). */
  concurrency?: number;
  /** Told of each change of a node's status. */
  onChange?: (change: StatusChange, status: NodeStatus) => void;
  /** Told of each node forgotten (gone from the registry). */
  onGone?: (status: NodeStatus) => void;
  logger?: Logger;
}

/** A running monitor loop. */
export interface Runner {
  /** Runs one round now (a round in progress is waited for instead). */
  round(): Promise<void>;
  /** Stops after the round in progress. */
  stop(): Promise<void>;
}

/** Debug.Health of one node, as a probe result. */
async function probe(
  client: Client,
  s: Service,
  node: Node,
  timeout: number,
): Promise<ProbeResult> {
  const row = { service: s.name, version: s.version, node: node.id, address: node.address };
  const checked = Date.now();
  const t0 = performance.now();
  const ms = (): number => Math.round((performance.now() - t0) * 10) / 10;
  try {
    const health = await client.call<HealthAnswer | undefined>(
      s.name,
      'Debug.Health',
      {},
      { node, timeout, retries: 0 },
    );
    return {
      ...row,
      health: health && typeof health === 'object' ? health : {},
      ms: ms(),
      checked,
    };
  } catch (err) {
    const e = toMicroError(err, 'monitor');
    // An app behind a sidecar answers 404 for Debug.Health: it is up.
    if (node.metadata.sidecar === 'true' && e.code === 404 && e.id !== 'micro.client')
      return { ...row, health: { status: 'ok' }, ms: ms(), checked };
    return { ...row, error: `${e.code} ${e.detail}`, ms: ms(), checked };
  }
}

/** Runs `jobs` with at most `limit` at once. */
async function bounded(jobs: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), jobs.length) }, worker));
}

/** Starts probing every node now and then every `interval` ms. */
export function startRunner(options: RunnerOptions): Runner {
  const interval = options.interval ?? RUNNER_DEFAULTS.interval;
  const timeout = options.timeout ?? RUNNER_DEFAULTS.timeout;
  const concurrency = options.concurrency ?? RUNNER_DEFAULTS.concurrency;
  const { tracker } = options;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;
  let failing = false;

  const once = async (): Promise<void> => {
    let services: Service[];
    try {
      services = (await options.registry.listServices()).filter((s) => !isTopic(s.name));
      failing = false;
    } catch (err) {
      // Logged once until the registry answers again; statuses stay as they were.
      if (!failing) options.logger?.warn(`monitor: cannot list nodes: ${(err as Error).message}`);
      failing = true;
      return;
    }
    const present = new Set<string>();
    const jobs = services.flatMap((s) =>
      s.nodes.map((node) => {
        present.add(nodeKey(s.name, s.version, node.id));
        return async () => {
          const result = await probe(options.client, s, node, timeout);
          if (stopped) return;
          const { status, change } = tracker.observe(result);
          if (change) options.onChange?.(change, status);
        };
      }),
    );
    await bounded(jobs, concurrency);
    if (stopped) return;
    for (const gone of tracker.retain(present)) options.onGone?.(gone);
  };

  const round = (): Promise<void> =>
    (current ??= once().finally(() => {
      current = undefined;
    }));

  const loop = (): void => {
    const started = Date.now();
    void round().then(() => {
      if (stopped) return;
      timer = setTimeout(loop, Math.max(0, interval - (Date.now() - started)));
      timer.unref();
    });
  };
  loop();

  return {
    round,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}

// Platform events (issue 17 point 2): every change the control plane makes (a node up, down or
// expired, a config version, a lock taken or released, a deployment and its processes, a node's
// health) is itself an event on a `micro.*` topic, so one subscription sees what happened to the
// platform. This file holds their topics and shapes, and platformEmitter, which turns the events area's in-process
// publish into the fire-and-forget HostContext.emit every area calls.
//
// Guarantees: emitting never waits and never throws into the change that emits (the change is
// done, or refused, whatever the events area does); events of one topic are published in the
// order emitted. Limits: best effort, at most once. An event emitted while the events area fails
// (or past MAX_PENDING publishes waiting) is dropped and counted, and the failure is logged once
// until publishing works again; events of a change made while the control plane is down, or
// between a change and a crash, are never published.
import type { Logger } from '../../runtime/server/server.ts';

/** The platform's topics. */
export const PLATFORM_TOPICS = {
  /** Nodes registered, deregistered, expired. */
  registry: 'micro.registry',
  /** Config versions: set, delete, rollback. */
  config: 'micro.config',
  /** Locks taken, released, expired; leaders elected. */
  sync: 'micro.sync',
  /** `micro run -d`: deployments and their processes. */
  runtime: 'micro.runtime',
  /** A node's health changed, as the control plane's monitor sees it. */
  health: 'micro.health',
} as const;

/** `micro.registry`: a node of a service version came, went or lapsed. */
export interface PlatformRegistryEvent {
  /** The node came (register), was removed (deregister) or its lease lapsed (expire). */
  action: 'register' | 'deregister' | 'expire';
  /** The service's name. */
  service: string;
  /** The service version the node serves. */
  version: string;
  /** The node's id. */
  node: string;
  /** The node's host:port. */
  address: string;
  /** One human line: `greeter 1.0.0 node greeter-ab12 up at 127.0.0.1:4321`. */
  summary: string;
}

/** `micro.config`: a new version of a namespace's tree. */
export interface PlatformConfigEvent {
  /** What the version did. */
  action: 'set' | 'delete' | 'rollback';
  /** The namespace changed. */
  namespace: string;
  /** The path changed (`''`: the whole tree, as after a rollback). */
  path: string;
  /** The namespace's new version. */
  version: number;
  /** Who made it, as the config history records it. */
  author: string;
  /** One human line: `config billing: db.pool.max set (version 4) by alice`. */
  summary: string;
}

/** `micro.sync`: a lock taken, released or lapsed; an election's leader changed. */
export interface PlatformSyncEvent {
  /** A lock taken, released by its holder, lapsed unrenewed; or a new leader. */
  action: 'lock' | 'unlock' | 'expire' | 'leader';
  /** The lock's or the election's name. */
  name: string;
  /** The lock's holder, or the new leader's id (`''`: the election has no leader now). */
  holder: string;
  /** One human line: `lock jobs taken by worker-1 (token 7)`. */
  summary: string;
}

/** `micro.runtime`: what `micro run -d` started and what became of its processes. */
export interface PlatformRuntimeEvent {
  /** Deployed (`micro run -d`), a process started, exited, started again, or the service stopped. */
  action: 'deploy' | 'start' | 'exit' | 'restart' | 'stop';
  /** The supervised service's name. */
  name: string;
  /** The process's id, on start, restart and exit. */
  pid?: number;
  /** How the process ended (`exit code 1`, `killed by SIGKILL`), on exit. */
  code?: string;
  /** One human line: `greeter pid 4242 exit code 1; restarting in 200 ms`. */
  summary: string;
}

/** `micro.health`: the control plane's monitor found a node's status changed. */
export interface PlatformHealthEvent {
  /** The service's name. */
  service: string;
  /** The service version the node serves. */
  version: string;
  /** The node's id. */
  node: string;
  /** The node's host:port. */
  address: string;
  /** Its status before: `healthy`, `unhealthy` or `unknown` (not probed yet). */
  from: 'healthy' | 'unhealthy' | 'unknown';
  /** Its status now. */
  to: 'healthy' | 'unhealthy' | 'unknown';
  /** Why (its failing checks, or the probe's error), when unhealthy. */
  detail?: string;
  /** One human line: `greeter 1.0.0 node greeter-ab12 healthy -> unhealthy: db: refused`. */
  summary: string;
}

/** The control plane's emit, as areas call it: fire and forget. */
export type PlatformEmit = (topic: string, data: Record<string, unknown>) => void;

/** Publishes waiting at most; past them new events are dropped (and counted). */
export const MAX_PENDING = 10_000;

/** What platformEmitter gives: the emit, and what it could not publish. */
export interface PlatformEmitter {
  /** Queues one event; returns at once. */
  emit: PlatformEmit;
  /** Events dropped so far (publish failed, or too many waiting). */
  dropped(): number;
  /** Resolves once every event emitted so far was published or dropped. */
  settled(): Promise<void>;
}

/**
 * An emit over `publish` (the events area's own, in process): each event is published in a later
 * tick, in order per topic; a failure is logged once (then again only after a success) and the
 * event dropped.
 */
export function platformEmitter(
  publish: (topic: string, data: Record<string, unknown>) => Promise<unknown>,
  logger?: Logger,
): PlatformEmitter {
  const tails = new Map<string, Promise<void>>();
  let pending = 0;
  let dropped = 0;
  let failing = false;
  const drop = (why: string): void => {
    dropped++;
    if (failing) return;
    failing = true;
    logger?.warn(`platform events: ${why}; dropping events until publishing works again`);
  };
  const emit: PlatformEmit = (topic, data) => {
    if (pending >= MAX_PENDING) return drop(`${MAX_PENDING} events waiting to be published`);
    pending++;
    const prev = tails.get(topic) ?? Promise.resolve();
    const next = prev.then(async () => {
      try {
        await publish(topic, data);
        failing = false;
      } catch (err) {
        drop(`cannot publish to ${topic}: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        pending--;
      }
    });
    tails.set(topic, next);
    // Forget a topic's chain once it is idle, so that the map holds only topics in use.
    void next.then(() => {
      if (tails.get(topic) === next) tails.delete(topic);
    });
  };
  return {
    emit,
    dropped: () => dropped,
    settled: async () => {
      while (tails.size > 0) await Promise.all([...tails.values()]);
    },
  };
}

/** Events kept, at most, while no emit is set yet (the control plane's own start-up). */
const EARLY = 1000;

/**
 * An emit that calls whatever `current()` is when an event comes, and never throws: for areas
 * hosted before the events area, whose context's emit is set later. Events that come before it is
 * set (the control plane's own services registering) are kept, the first EARLY of them, and sent
 * in order ahead of the first event that finds it set.
 */
export function lateEmit(current: () => PlatformEmit | undefined): PlatformEmit {
  let early: [string, Record<string, unknown>][] | undefined = [];
  return (topic, data) => {
    try {
      const emit = current();
      if (!emit) {
        if (early && early.length < EARLY) early.push([topic, data]);
        return;
      }
      if (early) {
        const kept = early;
        early = undefined;
        for (const [t, d] of kept) emit(t, d);
      }
      emit(topic, data);
    } catch {
      // An emit is fire and forget: the change it reports is done whatever it does.
    }
  };
}

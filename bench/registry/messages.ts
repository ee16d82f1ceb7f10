// The IPC messages between the registry benchmark and its watchers child.
import { isMessage } from '../lib/protocol.ts';

export { now } from '../lib/clock.ts';

/** Parent to watchers: open one watch per entry of filters (a service name, or null for all). */
export interface WatchMessage {
  type: 'watch';
  address: string;
  filters: (string | null)[];
  /** The child's clock minus the parent's, in ms, subtracted from every latency. */
  offsetMs: number;
}

/** Watchers to parent: every watch is in place on the control plane. */
export interface ReadyMessage {
  type: 'ready';
}

/** Parent to watchers: answer with the event counts so far. */
export interface CountMessage {
  type: 'count';
}

export interface CountedMessage {
  type: 'counted';
  /** Events received by all watches since they opened. */
  events: number;
  /** Watches that ended (closed by the server or failed). */
  ended: number;
}

/** Parent to watchers: report the probe latencies since the last collect, then start afresh. */
export interface CollectMessage {
  type: 'collect';
}

/** Watchers to parent: what the watches saw since the last collect. */
export interface CollectedMessage {
  type: 'collected';
  events: number;
  ended: number;
  /** One per probe registration and watch that reported it: ms from register() to arrival. */
  latencies: number[];
}

export interface FailedMessage {
  type: 'failed';
  error: string;
}

/** Node metadata keys a probe registration carries: its number and when register() was called. */
export const PROBE_KEY = 'bench-probe';
export const SENT_KEY = 'bench-sent';

export const isWatch = isMessage<WatchMessage>('watch');
export const isReady = isMessage<ReadyMessage>('ready');
export const isCount = isMessage<CountMessage>('count');
export const isCounted = isMessage<CountedMessage>('counted');
export const isCollect = isMessage<CollectMessage>('collect');
export const isCollected = isMessage<CollectedMessage>('collected');
export const isFailed = isMessage<FailedMessage>('failed');

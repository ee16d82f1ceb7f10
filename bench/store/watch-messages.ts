// The IPC messages between the store benchmark and its config watchers child (watchers.ts).
import { isMessage } from '../lib/protocol.ts';

/** One watch's report of one set: [watch number, set number, when (ms since the epoch, child's clock)]. */
export type Arrival = [number, number, number];

/** Watchers to parent: every watch is open. */
export interface ReadyMessage {
  type: 'ready';
}

/** Watchers to parent: every watch has reported set number n. */
export interface SeenMessage {
  type: 'seen';
  n: number;
}

/** Watchers to parent: the arrivals since the last collect. */
export interface CollectedMessage {
  type: 'collected';
  arrivals: Arrival[];
}

/** Watchers to parent: it could not open the watches, or one ended with an error. */
export interface FailedMessage {
  type: 'failed';
  error: string;
}

/** What the watchers child sends (besides pongs). */
export type WatchersMessage = ReadyMessage | SeenMessage | CollectedMessage | FailedMessage;

export const isReady = isMessage<ReadyMessage>('ready');
export const isSeen = isMessage<SeenMessage>('seen');
export const isCollected = isMessage<CollectedMessage>('collected');
export const isFailed = isMessage<FailedMessage>('failed');

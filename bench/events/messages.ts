// The IPC messages of the events benchmark: a run names its phase (publish or consume), the topic
// and how many events; the result says how long they took and the CPU time spent.
import type { ResultMessage, RunMessage } from '../lib/protocol.ts';

/** The phases measured, each in its own window. */
export type Phase = 'publish' | 'consume';

/** Parent to client: publish count events to topic (inflight at a time), or consume them. */
export interface EventsRunMessage extends RunMessage {
  phase: Phase;
  topic: string;
  count: number;
  /** Unacknowledged events a consumer holds at most. */
  maxInFlight: number;
}

/** Client to parent: what one phase saw (calls: events published or consumed). */
export interface EventsResultMessage extends ResultMessage {
  phase: Phase;
}

export const isEventsResult = (m: unknown): m is EventsResultMessage =>
  typeof m === 'object' &&
  m !== null &&
  (m as { type?: unknown }).type === 'result' &&
  typeof (m as { phase?: unknown }).phase === 'string';

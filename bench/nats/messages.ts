// The result a nats client child answers a run with: bench/lib/protocol.ts's, with the
// nats-server's CPU time and the two sides' socket writes.
import type { ResultMessage } from '../lib/protocol.ts';

/** Client to parent: what one measured window saw, with the CPU time of all three processes. */
export interface NatsResultMessage extends ResultMessage {
  /** CPU time of the nats-server during the window, from /proc/<pid>/stat. */
  natsCpuUs: number;
  /** Write system calls of the client and of the server during the window, from /proc/<pid>/io. */
  clientWrites: number;
  serverWrites: number;
  /** Bytes the client and the server wrote during the window, from /proc/<pid>/io. */
  clientBytes: number;
  serverBytes: number;
}

export const isNatsResult = (m: unknown): m is NatsResultMessage =>
  typeof m === 'object' &&
  m !== null &&
  (m as { type?: unknown }).type === 'result' &&
  typeof (m as { natsCpuUs?: unknown }).natsCpuUs === 'number';

// The IPC messages of the store benchmark: a run names the operation its window measures.
import type { ResultMessage, RunMessage } from '../lib/protocol.ts';

/** The operations measured, each in its own window. */
export type Op = 'get' | 'put';

/** Parent to client: run one closed-loop load of op. */
export interface StoreRunMessage extends RunMessage {
  op: Op;
}

/** Client to parent: what one window of op saw. */
export interface StoreResultMessage extends ResultMessage {
  op: Op;
  /** Read and write system calls of the client, and of the server processes, in the window. */
  clientSyscalls: number;
  serverSyscalls: number;
}

export const isStoreResult = (m: unknown): m is StoreResultMessage =>
  typeof m === 'object' &&
  m !== null &&
  (m as { type?: unknown }).type === 'result' &&
  typeof (m as { op?: unknown }).op === 'string';

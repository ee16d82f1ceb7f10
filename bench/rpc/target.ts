// What every system under test provides: a server to run in one child process and a caller in another.
import type { Caller } from '../lib/child.ts';

export type { Caller };

/** The request every contender sends and the response it gets back. */
export const REQUEST = { name: 'bench' } as const;
export const hello = (req: { name: string }): { msg: string } => ({ msg: `Hello ${req.name}` });

/** One system under test: its server side and its client side. */
export interface Target {
  /** Starts the server on 127.0.0.1 and resolves with what a caller needs to reach it. */
  serve(): Promise<{ address: string; close(): Promise<void> }>;
  /** Connects to the server at address; the first call has already succeeded when it resolves. */
  connect(address: string, variant: string): Promise<Caller>;
}

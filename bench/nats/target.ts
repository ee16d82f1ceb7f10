// What every system under test provides: a server in one child process and a caller in another,
// both reaching each other only through the bench's nats-server.
import type { Caller } from '../lib/child.ts';

export type { Caller };

/** The request every contender sends; its server echoes it back. */
export const REQUEST = { name: 'bench', n: 1 } as const;
const EXPECTED = JSON.stringify(REQUEST);

/** Throws unless rsp is the echo of REQUEST. */
export function checkEcho(rsp: unknown): void {
  if (JSON.stringify(rsp) !== EXPECTED)
    throw new Error(`unexpected response ${JSON.stringify(rsp)}`);
}

/** One system under test: its server side and its client side. */
export interface Target {
  /** Starts the server on the nats-server at nats (`host:port`); resolves with what a caller needs. */
  serve(nats: string): Promise<{ address: string; close(): Promise<void> }>;
  /** Connects to the server at address; the first call has already succeeded when it resolves. */
  connect(nats: string, address: string): Promise<Caller>;
}

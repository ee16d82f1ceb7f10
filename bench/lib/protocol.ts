// How a benchmark parent talks to its children: a server child prints its address as its first
// stdout line; a client child says ready, then answers each run message with one result (IPC).
import type { LoopSettings, LoopStats } from './closed-loop.ts';
import type { Child } from './processes.ts';

/** Parent to client: run one closed-loop load and answer with a result. */
export interface RunMessage extends LoopSettings {
  type: 'run';
}

/** Client to parent: connected, and one call succeeded. */
export interface ReadyMessage {
  type: 'ready';
}

/** Client to parent: what one measured window saw. */
export interface ResultMessage extends LoopStats {
  type: 'result';
  /** CPU time of the server process(es) during the window, from /proc/<pid>/stat. */
  serverCpuUs: number;
  /** CPU time of the client process during the window, from process.cpuUsage(). */
  clientCpuUs: number;
}

/** Client to parent: it could not connect or run. */
export interface FailedMessage {
  type: 'failed';
  error: string;
}

/** A type guard for the IPC messages whose `type` is type. */
export const isMessage =
  <T extends { type: string }>(type: T['type']) =>
  (m: unknown): m is T =>
    typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;

export const isReady = isMessage<ReadyMessage>('ready');
export const isResult = isMessage<ResultMessage>('result');
export const isFailed = isMessage<FailedMessage>('failed');
export const isRun = isMessage<RunMessage>('run');

/** The first stdout line of a server child. */
export const addressLine = (address: string): string => `${JSON.stringify({ address })}\n`;

/** The address in a server child's `{"address": ...}` line. */
const addressIn = (line: string): string | undefined => {
  if (!line.startsWith('{"address":')) return undefined;
  const { address } = JSON.parse(line) as { address?: unknown };
  return typeof address === 'string' ? address : undefined;
};

/** Resolves with the address a server child prints, or rejects after ms. */
export const serverAddress = (server: Child, ms: number): Promise<string> =>
  server.line(addressIn, ms);

/** Resolves once a client child says ready; rejects with `<what>: <error>` when it fails. */
export async function clientReady(client: Child, ms: number, what: string): Promise<void> {
  const m = await client.message(
    (x): x is ReadyMessage | FailedMessage => isReady(x) || isFailed(x),
    ms,
  );
  if (isFailed(m)) throw new Error(`${what}: ${m.error}`);
}

/** Sends run to a client child and resolves with the result that accept takes. */
export async function runOnce<R extends ResultMessage>(
  client: Child,
  run: RunMessage,
  what: string,
  accept: (m: unknown) => m is R = isResult as (m: unknown) => m is R,
): Promise<R> {
  client.send(run);
  const m = await client.message(
    (x): x is R | FailedMessage => accept(x) || isFailed(x),
    run.warmupMs + run.measureMs + 30_000,
  );
  if (isFailed(m)) throw new Error(`${what}: ${m.error}`);
  return m;
}

/** A result's figures per call: calls/s, and server and client CPU time in us per call. */
export interface PerCall {
  callsPerSec: number;
  serverUsPerCall: number;
  clientUsPerCall: number;
}

/** The figures per call of one result. */
export function perCall(m: ResultMessage): PerCall {
  const calls = Math.max(m.calls, 1);
  return {
    callsPerSec: m.calls / m.seconds,
    serverUsPerCall: m.serverCpuUs / calls,
    clientUsPerCall: m.clientCpuUs / calls,
  };
}

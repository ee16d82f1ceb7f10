// The IPC messages between the bench parent and its client children.

/** Parent to client: run one closed-loop load and answer with a result. */
export interface RunMessage {
  type: 'run';
  inflight: number;
  warmupMs: number;
  measureMs: number;
  /** The measured window ends early once this many calls completed in it. */
  maxCalls: number;
}

/** Client to parent: connected, and one call succeeded. */
export interface ReadyMessage {
  type: 'ready';
}

/** Client to parent: what one measured window saw. */
export interface ResultMessage {
  type: 'result';
  calls: number;
  errors: number;
  firstError: string | undefined;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time of the server process during the window, from /proc/<pid>/stat. */
  serverCpuUs: number;
  /** CPU time of the client process during the window, from process.cpuUsage(). */
  clientCpuUs: number;
}

/** Client to parent: it could not connect or run. */
export interface FailedMessage {
  type: 'failed';
  error: string;
}

const is =
  <T extends { type: string }>(type: T['type']) =>
  (m: unknown): m is T =>
    typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;

export const isReady = is<ReadyMessage>('ready');
export const isResult = is<ResultMessage>('result');
export const isFailed = is<FailedMessage>('failed');
export const isRun = is<RunMessage>('run');

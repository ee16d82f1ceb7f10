// One run of a supervised service: the child process, its output into the log, and how it is ended.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { LogWriter } from './log-file.ts';

const MAX_BACKOFF = 30_000;

/** Starts `<self> __exec <path>` with its stdout and stderr written, line by line, into the log. */
export function spawnRun(
  self: { command: string; args: string[] },
  path: string,
  env: NodeJS.ProcessEnv,
  log: LogWriter,
): ChildProcess {
  const child = spawn(self.command, [...self.args, '__exec', path], {
    env,
    // The IPC channel closes if micro dies, and the service then stops itself.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.on('data', (chunk: Buffer) => log.chunk('stdout', chunk));
  child.stderr?.on('data', (chunk: Buffer) => log.chunk('stderr', chunk));
  // Output may still come after 'exit': a line it leaves unfinished is written once the pipes close.
  child.on('close', () => log.flush());
  return child;
}

/** Ends a run: SIGTERM, then SIGKILL after 10 s; resolves once it has exited. */
export async function terminate(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = once(child, 'exit');
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(force);
}

/** Milliseconds before a crashed run starts again, after `restarts` restarts: 100 doubling up to 30 s. */
export const restartDelay = (restarts: number): number =>
  Math.min(100 * 2 ** restarts, MAX_BACKOFF);

// `micro sync lock NAME -- COMMAND`'s run: the command as a child with this terminal, the lock's
// name and fencing token in its environment (MICRO_SYNC_LOCK, MICRO_SYNC_TOKEN). If the lock is
// lost (its lease could not be renewed), the command is stopped and the run fails with a 409.
import { spawn } from 'node:child_process';
import { badRequest, conflict } from '../runtime/errors.ts';
import type { Lock } from '../platform/sync/sync.ts';

/** Runs file with args while `lock` is held; resolves with its exit code (128+n for a signal). */
export async function runHolding(lock: Lock, file: string, args: string[]): Promise<number> {
  const child = spawn(file, args, {
    stdio: 'inherit',
    env: { ...process.env, MICRO_SYNC_LOCK: lock.name, MICRO_SYNC_TOKEN: String(lock.token) },
  });
  const lost = (): void => void child.kill('SIGTERM');
  lock.signal.addEventListener('abort', lost);
  // Ctrl-C and a kill reach the command, which decides when to end; the lock is released after.
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
      (resolve, reject) => {
        child.once('error', (err: NodeJS.ErrnoException) =>
          reject(badRequest('micro.cli', `cannot run ${file}: ${err.code ?? err.message}`)),
        );
        child.once('exit', (c, s) => resolve([c, s]));
      },
    );
    if (lock.signal.aborted && !(signal === null && code === 0))
      throw conflict(
        'micro.cli',
        `lost lock ${lock.name} while ${file} ran, so it was stopped: ${(lock.signal.reason as Error).message}`,
      );
    const { constants } = process.getBuiltinModule('node:os');
    return code ?? 128 + (signal ? constants.signals[signal] : 1);
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    lock.signal.removeEventListener('abort', lost);
  }
}

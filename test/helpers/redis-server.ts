import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';

/** A running redis-server started by a test. */
export interface RedisServer {
  /** `127.0.0.1:<port>` it listens on. */
  address: string;
  /** Stops it (by PID), waits for it to exit and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts a real redis-server (Debian's redis-server) on 127.0.0.1 with a free port, no persistence
 * and a throwaway working directory, and resolves once it logs that it accepts connections. Rejects,
 * so the test fails, when it cannot.
 */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'micro-redis-'));
  let output = '';
  const redis = spawn(
    'redis-server',
    [
      ...['--bind', '127.0.0.1', '--port', String(port)],
      ...['--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stop = async (): Promise<void> => {
    if (redis.pid !== undefined && redis.exitCode === null && redis.signalCode === null) {
      const gone = new Promise((r) => redis.once('exit', r));
      process.kill(redis.pid, 'SIGTERM');
      await gone;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server not ready within 15 s: ${output.slice(-2000)}`)),
      15_000,
    );
    const read = (d: Buffer): void => {
      output += d.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    redis.stdout.on('data', read);
    redis.stderr.on('data', read);
    redis.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`redis-server could not start (${e.message}): install redis-server`));
    });
    redis.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}): ${output.slice(-2000)}`));
    });
  });
  try {
    await ready;
  } catch (err) {
    await stop();
    throw err;
  }
  return { address: `127.0.0.1:${port}`, stop };
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';
import { startServerProcess, type RunningServer } from './server-process.ts';

/** A running redis-server started by a test; `stop()` also removes its directory. */
export type RedisServer = RunningServer;

/**
 * Starts a real redis-server (Debian's redis-server) on 127.0.0.1 with a free port, no persistence
 * and a throwaway working directory, and resolves once it logs that it accepts connections. Rejects,
 * so the test fails, when it cannot.
 */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'micro-redis-'));
  return startServerProcess({
    command: 'redis-server',
    install: 'redis-server',
    address: `127.0.0.1:${port}`,
    args: [
      ...['--bind', '127.0.0.1', '--port', String(port)],
      ...['--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
    ],
    ready: (output) => output.includes('Ready to accept connections'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  });
}

// A real PostgreSQL (Debian's `postgresql` package) run by a test: a throwaway cluster made with
// initdb, served on 127.0.0.1 and a free port (its unix socket in the same throwaway folder), with
// fsync off for speed. PostgreSQL refuses to run as root: as root, initdb and postgres run as the
// `postgres` user the package made. Stopped by its PID (fast shutdown), its folder then removed.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';
import { startServerProcess, type RunningServer } from './server-process.ts';

/** A running PostgreSQL started by a test; `url` is a postgres:// URL of its `postgres` database. */
export type PostgresServer = RunningServer & { url: string };

/** Where Debian puts a version's binaries: /usr/lib/postgresql/<major>/bin, the newest first. */
function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** The `postgres` user's ids when this process is root (PostgreSQL will not run as root). */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * Starts a real PostgreSQL in a new temporary folder and resolves once it accepts connections.
 * Rejects, so the test fails, when it cannot (naming the package to install).
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = binDir();
  const command = (name: string) => (bin ? join(bin, name) : name);
  const user = runAs();
  const dir = await mkdtemp(join(tmpdir(), 'micro-pg-'));
  const data = join(dir, 'data');
  mkdirSync(data, { mode: 0o700 });
  if (user) for (const d of [dir, data]) chownSync(d, user.uid, user.gid);
  const init = spawnSync(
    command('initdb'),
    ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync'],
    { encoding: 'utf8', cwd: dir, ...(user && { uid: user.uid, gid: user.gid }) },
  );
  if (init.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    const why = init.error?.message ?? `${init.stdout}${init.stderr}`.slice(-2000);
    throw new Error(`initdb failed (${why}): install postgresql`);
  }
  const port = await freePort();
  const server = await startServerProcess({
    command: command('postgres'),
    install: 'postgresql',
    address: `127.0.0.1:${port}`,
    args: [
      ...['-D', data, '-p', String(port), '-k', dir],
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off'],
      ...['-c', 'full_page_writes=off', '-c', 'max_connections=50'],
    ],
    ready: (output) => output.includes('ready to accept connections'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
    ...(user && { user }),
    stopSignal: 'SIGINT',
  });
  return { ...server, url: `postgres://postgres@127.0.0.1:${port}/postgres` };
}

// The CLI's credentials file: the tokens `micro login` got, one entry per registry address, in
// `$MICRO_CONFIG_DIR`, else `$XDG_CONFIG_HOME/micro`, else `~/.config/micro`, as credentials.json.
//
// Guarantees: the folder is created 0700 and the file written 0600, atomically (a temporary file in
// the same folder, then rename), so a reader never sees half a file and no other user can read a
// token; a file with looser permissions is tightened when written. A refresh holds a lock file
// (`credentials.json.lock`, created exclusively) so that two commands started together do not both
// spend the same single-use refresh token (a reuse revokes the whole family). Limits: a lock older
// than LOCK_STALE_MS is taken as abandoned; the file is not encrypted (as ~/.docker/config.json).
import { chmod, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** What `micro login` stores for one registry address. */
export interface StoredCredential {
  /** The access token (a JWT) to send as `Authorization: Bearer`. */
  access_token: string;
  /** The refresh token that gets the next pair (single use). */
  refresh_token: string;
  /** When the access token expires, ms since the epoch. */
  expires_at: number;
  /** The account logged in. */
  id: string;
}

/** The whole file: entries by registry address. */
export type Credentials = Record<string, StoredCredential>;

/** Milliseconds after which a lock file is taken as left by a process that died. */
export const LOCK_STALE_MS = 10_000;

/** The folder the credentials file lives in, from the environment. */
export function credentialsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MICRO_CONFIG_DIR) return env.MICRO_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'micro');
  return join(env.HOME || homedir(), '.config', 'micro');
}

/** The credentials file's path. */
export const credentialsPath = (env: NodeJS.ProcessEnv = process.env): string =>
  join(credentialsDir(env), 'credentials.json');

const isCredential = (v: unknown): v is StoredCredential => {
  const c = v as Partial<StoredCredential> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.access_token === 'string' &&
    typeof c.refresh_token === 'string' &&
    typeof c.expires_at === 'number' &&
    typeof c.id === 'string'
  );
};

/** Every stored entry; a missing or unreadable file is no entries (a broken entry is skipped). */
export async function readCredentials(env: NodeJS.ProcessEnv = process.env): Promise<Credentials> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(credentialsPath(env), 'utf8'));
  } catch {
    return {};
  }
  const out: Credentials = {};
  if (typeof parsed !== 'object' || parsed === null) return out;
  for (const [address, entry] of Object.entries(parsed))
    if (isCredential(entry)) out[address] = entry;
  return out;
}

/** The entry of one registry address, if any. */
export async function storedCredential(
  address: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<StoredCredential | undefined> {
  const all = await readCredentials(env);
  return Object.hasOwn(all, address) ? all[address] : undefined;
}

/** Sets (or, with undefined, removes) the entry of one address, rewriting the file atomically with mode 0600. */
export async function saveCredential(
  address: string,
  entry: StoredCredential | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const dir = credentialsDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const all = await readCredentials(env);
  if (entry) all[address] = entry;
  else delete all[address];
  const path = credentialsPath(env);
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    // The mode given to writeFile is masked by the umask; 0600 is what is meant, whatever it is.
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

/**
 * Runs fn holding the credentials lock, waiting up to waitMs for another process to release it (a
 * lock older than LOCK_STALE_MS is removed); throws when the wait runs out.
 */
export async function withCredentialsLock<T>(
  fn: () => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
  waitMs = 5000,
): Promise<T> {
  await mkdir(credentialsDir(env), { recursive: true, mode: 0o700 });
  const lock = `${credentialsPath(env)}.lock`;
  const deadline = Date.now() + waitMs;
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > LOCK_STALE_MS) await rm(lock, { force: true });
      else if (Date.now() > deadline)
        throw new Error(`the credentials file is locked by another micro command (${lock})`, {
          cause: err,
        });
      else await new Promise((r) => setTimeout(r, delay));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

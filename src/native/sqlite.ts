// better-sqlite3's native addon inside the single executable, where `require` loads only built-in
// modules: scripts/build-sea.mjs embeds the addon as a SEA asset; this writes it to a cache folder
// on first use and loads it with process.dlopen.
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { getRawAsset, isSea } from 'node:sea';

/** The SEA asset holding better_sqlite3.node (the name scripts/build-sea.mjs gives it). */
export const SQLITE_ASSET = 'better_sqlite3.node';

/** A folder the addon may be written to. */
export interface AddonDir {
  dir: string;
  /** Set for a folder under the shared temporary directory: must be private to this user. */
  privateRoot?: string;
}

/**
 * better-sqlite3's addon for its `nativeBinding` option: loaded from the executable's asset inside
 * the single executable, undefined outside it (better-sqlite3 then finds its own addon).
 */
export function loadSqliteBinding(): unknown {
  if (!isSea()) return undefined;
  const bytes = new Uint8Array(getRawAsset(SQLITE_ASSET));
  return loadAddon(bytes, addonDirs(createHash('sha256').update(bytes).digest('hex')));
}

/**
 * Folders the addon may be written to, best first: ~/.cache/micro/native/<platform>-<arch>-abi<N>-
 * <hash> (or under $XDG_CACHE_HOME), then a per-user folder in the temporary directory for when the
 * home directory is not writable. The hash of the addon keeps different builds apart.
 */
export function addonDirs(hash: string, env: NodeJS.ProcessEnv = process.env): AddonDir[] {
  const name = `${process.platform}-${process.arch}-abi${process.versions.modules}-${hash.slice(0, 16)}`;
  const cache = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const tmp = join(tmpdir(), `micro-native-${process.getuid?.() ?? userInfo().username}`);
  return [
    { dir: join(cache, 'micro', 'native', name) },
    { dir: join(tmp, name), privateRoot: tmp },
  ];
}

/**
 * Writes the addon into the first folder that takes it and loads it from there; throws, naming
 * every folder tried, when none works (not writable, or mounted noexec so dlopen fails).
 */
export function loadAddon(bytes: Uint8Array, dirs: AddonDir[]): unknown {
  const failures: string[] = [];
  for (const { dir, privateRoot } of dirs) {
    try {
      const file = extract(bytes, dir, privateRoot);
      const module = { exports: {} };
      process.dlopen(module, file);
      return module.exports;
    } catch (err) {
      failures.push(`${dir}: ${(err as Error).message}`);
    }
  }
  throw new Error(`cannot load the SQLite addon; tried:\n  ${failures.join('\n  ')}`);
}

/**
 * Returns the path of the addon in dir, writing it there if missing: to a temporary name first,
 * then renamed, so simultaneous first runs never load a half-written file.
 */
function extract(bytes: Uint8Array, dir: string, privateRoot?: string): string {
  if (privateRoot) {
    // In a shared /tmp another user could have created the folder first and planted a library.
    mkdirSync(privateRoot, { recursive: true, mode: 0o700 });
    const st = lstatSync(privateRoot);
    const uid = process.getuid?.();
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) {
      throw new Error(`${privateRoot} is not a private folder of this user`);
    }
  }
  const file = join(dir, SQLITE_ASSET);
  try {
    if (statSync(file).size === bytes.byteLength) return file;
  } catch {
    // not written yet
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, bytes, { mode: 0o755 });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return file;
}

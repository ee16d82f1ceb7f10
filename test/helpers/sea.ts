// The single executable for end-to-end tests: built by scripts/build-sea.mjs when it is older than
// what it is made from.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const root = fileURLToPath(new URL('../..', import.meta.url));

/** Where `npm run build:sea` puts the binary. */
export const distBinary = join(root, 'dist/micro');

// What the binary is made from: a change to any of these rebuilds it.
const sources = [
  'bin',
  'src',
  'scripts/build-sea.mjs',
  'package.json',
  'package-lock.json',
  'node_modules/better-sqlite3/build/Release',
  'node_modules/better-sqlite3/prebuilds',
];

/** Newest modification time under path (a file or a folder); 0 when it does not exist. */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((f) => newest(join(path, f))));
}

/** True when out is missing or older than one of its sources. */
function stale(out: string, entry: string): boolean {
  if (!existsSync(out)) return true;
  const built = statSync(out).mtimeMs;
  return [...sources, entry].some((s) => newest(join(root, s)) > built);
}

/**
 * Runs scripts/build-sea.mjs for entry unless out is newer than every source. Test files run in
 * parallel: a lock folder beside out lets one build while the others wait for it.
 */
export function ensureBuilt(out: string, entry = 'bin/micro.ts'): void {
  if (!stale(out, entry)) return;
  const lock = `${out}.building`;
  const deadline = Date.now() + 240_000;
  mkdirSync(join(out, '..'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock, { recursive: false });
      break;
    } catch {
      // Another test file is building; a lock left by a killed build is taken over after 5 minutes.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (!held) continue;
      if (Date.now() - held.mtimeMs > 300_000) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      assert.ok(Date.now() < deadline, `waited 4 minutes for another build of ${out}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (!stale(out, entry)) return;
    const r = spawnSync(
      process.execPath,
      [join(root, 'scripts/build-sea.mjs'), '--entry', join(root, entry), '--out', out],
      { cwd: root, encoding: 'utf8', timeout: 180_000 },
    );
    assert.equal(r.status, 0, `build-sea failed:\n${r.stdout}${r.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

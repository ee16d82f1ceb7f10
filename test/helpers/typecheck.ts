// Type-checking user code as a user's project would: micro, Zod and Node's types installed in its
// node_modules, and tsc --strict over it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');

/** What `npm install -D /path/to/micro zod @types/node` gives a project in dir: links in its node_modules. */
export function installMicro(dir: string): void {
  mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
  symlinkSync(root, join(dir, 'node_modules/micro-ts'));
  symlinkSync(join(root, 'node_modules/zod'), join(dir, 'node_modules/zod'));
  symlinkSync(join(root, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'));
}

/** Writes a strict tsconfig.json in dir naming the files (as a service folder of ES modules has). */
export function strictConfig(dir: string, files: string[]): void {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2024',
        module: 'nodenext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        allowImportingTsExtensions: true,
        types: ['node'],
      },
      files,
    }),
  );
}

/** Asserts that `tsc --strict -p dir` passes, showing what it printed when not. */
export function assertTypeChecks(dir: string): void {
  const run = spawnSync(process.execPath, [tsc, '-p', dir, '--strict'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(run.status, 0, `tsc -p ${dir}:\n${run.stdout}${run.stderr}`);
}

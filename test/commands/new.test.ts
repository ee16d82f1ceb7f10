// `micro new`: the scaffold type-checks strictly with its own tsconfig.json against micro's types,
// and its npm test runs its tests with micro test (on micro's Node, failing when none ran).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const micro = join(root, 'bin/micro.ts');

describe('micro new', () => {
  let work = '';
  let dir = '';
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'micro-new-'));
    execFileSync(process.execPath, [micro, 'new', 'shop'], { cwd: work });
    dir = join(work, 'shop');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('scaffolds a service that passes tsc --strict with its tsconfig.json and micro types', () => {
    const config = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: Record<string, unknown>;
    };
    assert.equal(config.compilerOptions.strict, true);
    // What `npm install -D /path/to/micro @types/node` gives the service.
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules/micro-ts'));
    symlinkSync(join(root, 'node_modules/@types'), join(dir, 'node_modules/@types'));
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir, '--strict'],
      { encoding: 'utf8' },
    );
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  });

  it('gives it an npm test that runs micro test', () => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    assert.equal(pkg.scripts.test, 'micro test');
    const { NODE_TEST_CONTEXT: _nested, ...plain } = process.env;
    const run = spawnSync(process.execPath, [micro, 'test'], {
      cwd: dir,
      encoding: 'utf8',
      env: plain,
    });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /Say\.Hello greets by name/);
    assert.match(run.stdout, /pass 1/);
  });
});

// `micro test`: a service's tests on micro's own Node, with 'micro-ts' provided as micro run
// provides it; it fails when a test fails, and when no test ran (node --test on the system's
// Node 20 found no .ts test and passed with 0 tests).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const micro = fileURLToPath(new URL('../../bin/micro.ts', import.meta.url));
const { NODE_TEST_CONTEXT: _nested, ...env } = process.env;

/** Runs `micro test ARGS` in dir. */
const microTest = (dir: string, ...args: string[]) =>
  spawnSync(process.execPath, [micro, 'test', ...args], { cwd: dir, encoding: 'utf8', env });

describe('micro test', () => {
  let work = '';
  const folder = (name: string, files: Record<string, string>): string => {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      writeFileSync(join(dir, f), text);
    }
    return dir;
  };
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'micro-test-cmd-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("runs .ts tests that import 'micro-ts', on micro's Node", () => {
    const dir = folder('ok', {
      'svc.test.ts': [
        "import assert from 'node:assert/strict';",
        "import { test } from 'node:test';",
        "import { createService, type Context } from 'micro-ts';",
        "test('the framework is there', () => {",
        '  const ctx: Context | undefined = undefined;',
        "  assert.equal(typeof createService, 'function', String(ctx));",
        "  assert.equal(process.versions.node.split('.')[0], '24');",
        '});',
      ].join('\n'),
      'test/more.ts': "import { test } from 'node:test';\ntest('under test/', () => {});\n",
      'node_modules/dep/x.test.ts': "throw new Error('node_modules is not searched');\n",
    });
    const r = microTest(dir);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /the framework is there/);
    assert.match(r.stdout, /under test\//);
    assert.match(r.stdout, /pass 2/);
  });

  it('fails when a test fails', () => {
    const dir = folder('failing', {
      'a.test.ts':
        "import { test } from 'node:test';\ntest('breaks', () => { throw new Error('no'); });\n",
    });
    const r = microTest(dir);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /breaks/);
  });

  it('fails when there is no test file, or the files declare no test', () => {
    const none = microTest(folder('empty', { 'main.ts': 'export {};\n' }));
    assert.equal(none.status, 1);
    assert.match(none.stderr, /"code":404.*no test files in \./);
    const declared = microTest(folder('declares-none', { 'x.test.ts': 'export {};\n' }));
    assert.equal(declared.status, 1);
    assert.match(declared.stderr, /no test ran/);
  });

  it('runs only the files named', () => {
    const dir = folder('named', {
      'a.test.ts': "import { test } from 'node:test';\ntest('a runs', () => {});\n",
      'b.test.ts': "import { test } from 'node:test';\ntest('b runs', () => {});\n",
    });
    const r = microTest(dir, 'b.test.ts');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /b runs/);
    assert.doesNotMatch(r.stdout, /a runs/);
  });
});

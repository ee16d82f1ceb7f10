// The README's TypeScript that users copy (every ```ts block importing micro-ts) type-checks
// strictly, as in a service folder with micro, Zod and Node's types installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe("the README's TypeScript", () => {
  const dir = mkdtempSync(join(tmpdir(), 'micro-readme-ts-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('type-checks with tsc --strict, every block that imports micro-ts', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
      .map((m) => m[1] ?? '')
      .filter((code) => /from 'micro-ts(\/\w+)?'/.test(code));
    assert.ok(blocks.length >= 2, 'the README shows micro-ts code');
    mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
    symlinkSync(root, join(dir, 'node_modules/micro-ts'));
    symlinkSync(join(root, 'node_modules/zod'), join(dir, 'node_modules/zod'));
    symlinkSync(join(root, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    // Each block is its own module (export {} keeps one that exports nothing a module too).
    const files = blocks.map((code, i) => {
      writeFileSync(join(dir, `block-${i}.ts`), `${code}\nexport {};\n`);
      return `block-${i}.ts`;
    });
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
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(tsc.status, 0, `tsc:\n${tsc.stdout}${tsc.stderr}`);
  });
});

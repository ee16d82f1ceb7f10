// The README's TypeScript that users copy (every ```ts block importing micro-ts) type-checks
// strictly, as in a service folder with micro, Zod and Node's types installed.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { scratchDir } from '../helpers/lifecycle.ts';
import { assertTypeChecks, installMicro, strictConfig } from '../helpers/typecheck.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe("the README's TypeScript", () => {
  const dir = scratchDir('micro-readme-ts-');

  it('type-checks with tsc --strict, every block that imports micro-ts', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
      .map((m) => m[1] ?? '')
      .filter((code) => /from 'micro-ts(\/\w+)?'/.test(code));
    assert.ok(blocks.length >= 2, 'the README shows micro-ts code');
    installMicro(dir);
    // Each block is its own module (export {} keeps one that exports nothing a module too).
    const files = blocks.map((code, i) => {
      writeFileSync(join(dir, `block-${i}.ts`), `${code}\nexport {};\n`);
      return `block-${i}.ts`;
    });
    strictConfig(dir, files);
    assertTypeChecks(dir);
  });
});
